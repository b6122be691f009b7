/*
 * bytecode — a text assembler and a stack-machine interpreter running a fixed program.
 *
 * What it exercises: the patterns of interpreters and compilers — an indirect-branch
 * dispatch per virtual instruction, a data-dependent branch in most of them, byte loads and
 * stores, and (in the assembler) tokenising, string comparison and table lookups.
 *
 * Each round assembles PROGRAM (below) from text into bytecode, then runs it with the
 * previous round's result as the seed. The program fills a text buffer with pseudo-random
 * words, counts the words and reverses each one in place, hashes the text, and counts its
 * vowels through a subroutine. The checksum folds every round's result. Expected values:
 * tools/reference.py computes what the program means directly in Python (no interpreter),
 * and a host build of this file by gcc agrees (tools/expected.sh).
 */
#include "workload.h"

#define TEXT_SIZE 8192u        /* bytes of text the program works on; a power of two */
#define STACK_DEPTH 64
#define CALL_DEPTH 16
#define GLOBALS 16
#define CODE_WORDS 1024
#define LABELS 64
#define INITIAL_SEED 0x2545f491u
#define GLOBAL_SEED 0          /* g0: the generator state the program starts from */
#define GLOBAL_TEXT_SIZE 9     /* g9: TEXT_SIZE, so the program does not hard-code it */

/*
 * The virtual machine's language. One instruction per line, `label:` on a line of its own
 * or before an instruction, `;` starts a comment. Operands are decimal numbers, labels, or
 * globals g0..g15. The stack holds 32-bit words; `st` pops the address, then the value;
 * `ld` and `st` address the text buffer modulo its size; `lt` compares unsigned.
 */
static const char PROGRAM[] =
    "; fill the text with letters and spaces from a linear congruential generator\n"
    "        push 0\n        put g1\n"
    "fill:   get g1\n        get g9\n        lt\n        jz filled\n"
    "        get g0\n        push 1103515245\n        mul\n        push 12345\n        add\n"
    "        dup\n        put g0\n        push 16\n        shr\n        push 31\n        and\n"
    "        dup\n        push 26\n        lt\n        jnz letter\n"
    "        drop\n        push 32\n        jmp store\n"
    "letter: push 97\n        add\n"
    "store:  get g1\n        st\n"
    "        get g1\n        push 1\n        add\n        put g1\n        jmp fill\n"
    "filled:\n"
    "; count the words and reverse each one in place\n"
    "        push 0\n        put g1\n        push 0\n        put g2\n"
    "scan:   get g1\n        get g9\n        lt\n        jz scanned\n"
    "        get g1\n        ld\n        push 32\n        eq\n        jnz space\n"
    "        get g1\n        put g5\n"
    "wend:   get g1\n        get g9\n        lt\n        jz wdone\n"
    "        get g1\n        ld\n        push 32\n        eq\n        jnz wdone\n"
    "        get g1\n        push 1\n        add\n        put g1\n        jmp wend\n"
    "wdone:  get g2\n        push 1\n        add\n        put g2\n"
    "        get g5\n        get g1\n        push 1\n        sub\n        call reverse\n"
    "        jmp scan\n"
    "space:  get g1\n        push 1\n        add\n        put g1\n        jmp scan\n"
    "scanned:\n"
    "; hash the text (djb2 with xor)\n"
    "        push 0\n        put g1\n        push 5381\n        put g3\n"
    "hash:   get g1\n        get g9\n        lt\n        jz hashed\n"
    "        get g3\n        push 33\n        mul\n        get g1\n        ld\n        xor\n        put g3\n"
    "        get g1\n        push 1\n        add\n        put g1\n        jmp hash\n"
    "hashed:\n"
    "; count vowels\n"
    "        push 0\n        put g1\n        push 0\n        put g6\n"
    "vowel:  get g1\n        get g9\n        lt\n        jz counted\n"
    "        get g1\n        ld\n        call isvowel\n        get g6\n        add\n        put g6\n"
    "        get g1\n        push 1\n        add\n        put g1\n        jmp vowel\n"
    "counted:\n"
    "        get g3\n        get g2\n        push 16\n        shl\n        xor\n        get g6\n        xor\n"
    "        halt\n"
    "; reverse ( lo hi -- ): swaps text[lo..hi] end for end\n"
    "reverse: put g8\n        put g7\n"
    "rloop:  get g7\n        get g8\n        lt\n        jz rdone\n"
    "        get g7\n        ld\n        get g8\n        ld\n        get g7\n        st\n        get g8\n        st\n"
    "        get g7\n        push 1\n        add\n        put g7\n"
    "        get g8\n        push 1\n        sub\n        put g8\n        jmp rloop\n"
    "rdone:  ret\n"
    "; isvowel ( c -- flag )\n"
    "isvowel: dup\n        push 97\n        eq\n        jnz yes\n"
    "        dup\n        push 101\n        eq\n        jnz yes\n"
    "        dup\n        push 105\n        eq\n        jnz yes\n"
    "        dup\n        push 111\n        eq\n        jnz yes\n"
    "        dup\n        push 117\n        eq\n        jnz yes\n"
    "        drop\n        push 0\n        ret\n"
    "yes:    drop\n        push 1\n        ret\n";

enum opcode {
    OP_PUSH, OP_DUP, OP_DROP, OP_SWAP, OP_OVER, OP_ADD, OP_SUB, OP_MUL, OP_AND, OP_OR, OP_XOR,
    OP_SHL, OP_SHR, OP_LT, OP_EQ, OP_LD, OP_ST, OP_GET, OP_PUT, OP_JMP, OP_JZ, OP_JNZ,
    OP_CALL, OP_RET, OP_HALT, OP_COUNT
};

enum operand_kind { NO_OPERAND, NUMBER, LABEL, GLOBAL };

static const struct mnemonic {
    const char *name;
    enum operand_kind operand;
} MNEMONICS[OP_COUNT] = {
    [OP_PUSH] = {"push", NUMBER}, [OP_DUP] = {"dup", NO_OPERAND}, [OP_DROP] = {"drop", NO_OPERAND},
    [OP_SWAP] = {"swap", NO_OPERAND}, [OP_OVER] = {"over", NO_OPERAND}, [OP_ADD] = {"add", NO_OPERAND},
    [OP_SUB] = {"sub", NO_OPERAND}, [OP_MUL] = {"mul", NO_OPERAND}, [OP_AND] = {"and", NO_OPERAND},
    [OP_OR] = {"or", NO_OPERAND}, [OP_XOR] = {"xor", NO_OPERAND}, [OP_SHL] = {"shl", NO_OPERAND},
    [OP_SHR] = {"shr", NO_OPERAND}, [OP_LT] = {"lt", NO_OPERAND}, [OP_EQ] = {"eq", NO_OPERAND},
    [OP_LD] = {"ld", NO_OPERAND}, [OP_ST] = {"st", NO_OPERAND}, [OP_GET] = {"get", GLOBAL},
    [OP_PUT] = {"put", GLOBAL}, [OP_JMP] = {"jmp", LABEL}, [OP_JZ] = {"jz", LABEL},
    [OP_JNZ] = {"jnz", LABEL}, [OP_CALL] = {"call", LABEL}, [OP_RET] = {"ret", NO_OPERAND},
    [OP_HALT] = {"halt", NO_OPERAND},
};

/* Assembler errors and virtual machine faults; any of them fails the workload. */
enum status { OK, BAD_MNEMONIC, BAD_OPERAND, UNKNOWN_LABEL, TOO_MANY_LABELS, CODE_FULL,
              STACK_FAULT, CALL_FAULT, PC_FAULT };

struct label {
    const char *name;
    uint32_t length;
    uint32_t address;
};

static uint32_t code[CODE_WORDS];
static struct label labels[LABELS];
static uint32_t label_count;
static uint8_t text[TEXT_SIZE];

static int is_space(char c) { return c == ' ' || c == '\t'; }
static int is_word(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

static int same(const char *a, uint32_t length, const char *b) {
    for (uint32_t i = 0; i < length; i++) {
        if (b[i] != a[i]) return 0;
    }
    return b[length] == 0;
}

static int find_label(const char *name, uint32_t length, uint32_t *address) {
    for (uint32_t i = 0; i < label_count; i++) {
        if (labels[i].length != length) continue;
        uint32_t k = 0;
        while (k < length && labels[i].name[k] == name[k]) k++;
        if (k == length) { *address = labels[i].address; return 1; }
    }
    return 0;
}

static int parse_number(const char *s, uint32_t length, uint32_t *value) {
    if (length == 0 || length > 10) return 0;
    uint32_t v = 0;
    for (uint32_t i = 0; i < length; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    *value = v;
    return 1;
}

/* Two passes over the text: the first records label addresses, the second emits code. */
static enum status assemble(uint32_t *code_size) {
    label_count = 0;
    for (int pass = 0; pass < 2; pass++) {
        uint32_t pc = 0;
        const char *p = PROGRAM;
        while (*p) {
            while (is_space(*p)) p++;
            const char *word = p;
            while (is_word(*p)) p++;
            uint32_t length = (uint32_t)(p - word);
            if (*p == ':') {
                if (pass == 0) {
                    if (label_count == LABELS) return TOO_MANY_LABELS;
                    labels[label_count++] = (struct label){word, length, pc};
                }
                p++;
                while (is_space(*p)) p++;
                word = p;
                while (is_word(*p)) p++;
                length = (uint32_t)(p - word);
            }
            if (length > 0) {
                int op = -1;
                for (int i = 0; i < OP_COUNT; i++) {
                    if (same(word, length, MNEMONICS[i].name)) { op = i; break; }
                }
                if (op < 0) return BAD_MNEMONIC;
                if (pc + 2 > CODE_WORDS) return CODE_FULL;
                code[pc++] = (uint32_t)op;
                if (MNEMONICS[op].operand != NO_OPERAND) {
                    while (is_space(*p)) p++;
                    const char *arg = p;
                    while (is_word(*p)) p++;
                    uint32_t arg_length = (uint32_t)(p - arg), value = 0;
                    switch (MNEMONICS[op].operand) {
                    case NUMBER:
                        if (!parse_number(arg, arg_length, &value)) return BAD_OPERAND;
                        break;
                    case GLOBAL:
                        if (arg_length < 2 || arg[0] != 'g' || !parse_number(arg + 1, arg_length - 1, &value) ||
                            value >= GLOBALS) return BAD_OPERAND;
                        break;
                    case LABEL:
                        if (pass == 1 && !find_label(arg, arg_length, &value)) return UNKNOWN_LABEL;
                        break;
                    case NO_OPERAND:
                        break;
                    }
                    code[pc++] = value;
                }
            }
            while (is_space(*p)) p++;
            if (*p == ';') {
                while (*p && *p != '\n') p++;
            }
            if (*p == '\n') {
                p++;
            } else if (*p) {
                return BAD_OPERAND;
            }
        }
        *code_size = pc;
    }
    return OK;
}

/* Runs the assembled code; every stack, call and jump is bounds-checked. */
static enum status run(uint32_t code_size, uint32_t globals[GLOBALS], uint32_t *result) {
    uint32_t stack[STACK_DEPTH], calls[CALL_DEPTH];
    uint32_t sp = 0, csp = 0, pc = 0;
    for (;;) {
        if (pc >= code_size) return PC_FAULT;
        uint32_t op = code[pc], operand = pc + 1 < code_size ? code[pc + 1] : 0;
        pc += MNEMONICS[op].operand == NO_OPERAND ? 1 : 2;
        switch (op) {
        case OP_PUSH: if (sp == STACK_DEPTH) return STACK_FAULT; stack[sp++] = operand; break;
        case OP_DUP: if (sp == 0 || sp == STACK_DEPTH) return STACK_FAULT; stack[sp] = stack[sp - 1]; sp++; break;
        case OP_DROP: if (sp == 0) return STACK_FAULT; sp--; break;
        case OP_SWAP: {
            if (sp < 2) return STACK_FAULT;
            uint32_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t;
            break;
        }
        case OP_OVER: if (sp < 2 || sp == STACK_DEPTH) return STACK_FAULT; stack[sp] = stack[sp - 2]; sp++; break;
        case OP_ADD: if (sp < 2) return STACK_FAULT; sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: if (sp < 2) return STACK_FAULT; sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: if (sp < 2) return STACK_FAULT; sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_AND: if (sp < 2) return STACK_FAULT; sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_OR: if (sp < 2) return STACK_FAULT; sp--; stack[sp - 1] |= stack[sp]; break;
        case OP_XOR: if (sp < 2) return STACK_FAULT; sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_SHL: if (sp < 2) return STACK_FAULT; sp--; stack[sp - 1] <<= stack[sp] & 31; break;
        case OP_SHR: if (sp < 2) return STACK_FAULT; sp--; stack[sp - 1] >>= stack[sp] & 31; break;
        case OP_LT: if (sp < 2) return STACK_FAULT; sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_EQ: if (sp < 2) return STACK_FAULT; sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case OP_LD: if (sp < 1) return STACK_FAULT; stack[sp - 1] = text[stack[sp - 1] & (TEXT_SIZE - 1)]; break;
        case OP_ST:
            if (sp < 2) return STACK_FAULT;
            text[stack[sp - 1] & (TEXT_SIZE - 1)] = (uint8_t)stack[sp - 2];
            sp -= 2;
            break;
        case OP_GET: if (sp == STACK_DEPTH) return STACK_FAULT; stack[sp++] = globals[operand]; break;
        case OP_PUT: if (sp == 0) return STACK_FAULT; globals[operand] = stack[--sp]; break;
        case OP_JMP: pc = operand; break;
        case OP_JZ: if (sp == 0) return STACK_FAULT; if (stack[--sp] == 0) pc = operand; break;
        case OP_JNZ: if (sp == 0) return STACK_FAULT; if (stack[--sp] != 0) pc = operand; break;
        case OP_CALL: if (csp == CALL_DEPTH) return CALL_FAULT; calls[csp++] = pc; pc = operand; break;
        case OP_RET: if (csp == 0) return CALL_FAULT; pc = calls[--csp]; break;
        case OP_HALT:
            if (sp == 0) return STACK_FAULT;
            *result = stack[sp - 1];
            return OK;
        default: return PC_FAULT;
        }
    }
}

_Noreturn void workload_main(void) {
    uint64_t checksum = WL_FNV_OFFSET;
    uint32_t seed = INITIAL_SEED;
    for (int round = 0; round < WORKLOAD_SCALE; round++) {
        uint32_t code_size = 0, globals[GLOBALS] = {0};
        enum status status = assemble(&code_size);
        globals[GLOBAL_SEED] = seed;
        globals[GLOBAL_TEXT_SIZE] = TEXT_SIZE;
        if (status == OK) status = run(code_size, globals, &seed);
        if (status != OK) wl_finish_verified("bytecode" WORKLOAD_SUFFIX, status, 0);
        checksum = wl_fold(checksum, seed);
    }
    wl_finish("bytecode" WORKLOAD_SUFFIX, checksum,
              WORKLOAD_EXPECTED(0x04d71e158ea794f9ull, 0x9a5540aca83a1b2bull));
}
