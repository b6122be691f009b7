/*
 * coremark-like — the mix of an embedded-systems benchmark: linked lists, small matrices, a
 * state machine, and a CRC over all their results.
 *
 * Written from the general idea of such benchmarks, not from any of their code. What it
 * exercises: pointer chasing and pointer rewiring (list search, reversal, merge sort), 16-bit
 * integer multiply-accumulate on 16×16 matrices, a byte-at-a-time classifier whose branches
 * depend on the data, and a bitwise CRC-16.
 *
 * Each iteration derives its inputs from the running CRC, so iterations form one chain; a
 * round is ITERATIONS iterations. The checksum folds the CRC after every round. Expected
 * values: a host build of this file by gcc (tools/expected.sh), against which the RV64 build by
 * clang must agree.
 */
#include "workload.h"

#define ITERATIONS 60          /* per round */
#define LIST_NODES 512
#define SEARCHES 32
#define MATRIX_N 16
#define INPUT_BYTES 1024
#define CRC16_POLY_REFLECTED 0xA001u   /* CRC-16/ARC: x^16 + x^15 + x^2 + 1, reflected */
#define DATA_SEED 0x68e31da4u

/* ---- CRC-16, bit by bit (the point is the branches and shifts, not speed) ---------- */

static uint16_t crc16_byte(uint16_t crc, uint8_t byte) {
    crc ^= byte;
    for (int k = 0; k < 8; k++) crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ CRC16_POLY_REFLECTED) : (uint16_t)(crc >> 1);
    return crc;
}

static uint16_t crc16_u32(uint16_t crc, uint32_t value) {
    for (int i = 0; i < 4; i++) crc = crc16_byte(crc, (uint8_t)(value >> (8 * i)));
    return crc;
}

/* ---- linked list ------------------------------------------------------------------- */

struct node {
    struct node *next;
    uint16_t key;
    uint16_t value;
};

static struct node pool[LIST_NODES];

static struct node *build_list(uint32_t *state) {
    struct node *head = 0;
    for (int i = LIST_NODES - 1; i >= 0; i--) {
        pool[i].key = (uint16_t)i;
        pool[i].value = (uint16_t)wl_xorshift32(state);
        pool[i].next = head;
        head = &pool[i];
    }
    return head;
}

static struct node *reverse_list(struct node *head) {
    struct node *previous = 0;
    while (head) {
        struct node *next = head->next;
        head->next = previous;
        previous = head;
        head = next;
    }
    return previous;
}

/* Position of the first node with this value's low byte, or -1: a search that may fail. */
static int32_t find_value(const struct node *head, uint8_t low_byte) {
    int32_t position = 0;
    for (; head; head = head->next, position++) {
        if ((uint8_t)head->value == low_byte) return position;
    }
    return -1;
}

static int less_or_equal(const struct node *x, const struct node *y, int by_value) {
    return by_value ? x->value <= y->value : x->key <= y->key;
}

/* Bottom-up merge sort of a singly linked list (stable), by value or by key. */
static struct node *sort_list(struct node *head, int by_value) {
    for (uint32_t width = 1;; width *= 2) {
        struct node *p = head, *tail = 0;
        uint32_t merges = 0;
        head = 0;
        while (p) {
            merges++;
            struct node *q = p;
            uint32_t p_size = 0;
            while (p_size < width && q) { p_size++; q = q->next; }
            uint32_t q_size = width;
            while (p_size > 0 || (q_size > 0 && q)) {
                struct node *taken;
                if (p_size == 0) { taken = q; q = q->next; q_size--; }
                else if (q_size == 0 || !q || less_or_equal(p, q, by_value)) { taken = p; p = p->next; p_size--; }
                else { taken = q; q = q->next; q_size--; }
                if (tail) tail->next = taken; else head = taken;
                tail = taken;
            }
            p = q;
        }
        if (tail) tail->next = 0;
        if (merges <= 1) return head;
    }
}

static uint16_t list_work(uint16_t crc, uint32_t *state) {
    struct node *head = build_list(state);
    head = reverse_list(head);
    for (int s = 0; s < SEARCHES; s++) crc = crc16_u32(crc, (uint32_t)find_value(head, (uint8_t)wl_xorshift32(state)));
    head = sort_list(head, 1);
    /* Fold the order by value (ties keep key order: the sort is stable). */
    uint32_t position = 0;
    for (const struct node *n = head; n; n = n->next, position++) {
        if ((position & 31) == 0) crc = crc16_u32(crc, ((uint32_t)n->key << 16) | n->value);
    }
    head = sort_list(head, 0);
    uint32_t in_order = 1;
    for (const struct node *n = head; n && n->next; n = n->next) in_order &= n->key < n->next->key;
    return crc16_u32(crc, in_order);
}

/* ---- matrices ---------------------------------------------------------------------- */

static int16_t ma[MATRIX_N][MATRIX_N], mb[MATRIX_N][MATRIX_N];
static int32_t mc[MATRIX_N][MATRIX_N];

static uint16_t matrix_work(uint16_t crc, uint32_t *state) {
    for (int i = 0; i < MATRIX_N; i++) {
        for (int j = 0; j < MATRIX_N; j++) {
            uint32_t r = wl_xorshift32(state);
            ma[i][j] = (int16_t)(r & 0x3ff) - 512;
            mb[i][j] = (int16_t)((r >> 16) & 0x3ff) - 512;
        }
    }
    int16_t k = (int16_t)(crc & 0xff) - 128;
    int32_t sum = 0;
    /* Add a constant, multiply by a constant, multiply by a vector, multiply by a matrix. */
    for (int i = 0; i < MATRIX_N; i++)
        for (int j = 0; j < MATRIX_N; j++) sum += (int16_t)(ma[i][j] + k);
    for (int i = 0; i < MATRIX_N; i++)
        for (int j = 0; j < MATRIX_N; j++) sum += (int32_t)ma[i][j] * k;
    for (int i = 0; i < MATRIX_N; i++) {
        int32_t row = 0;
        for (int j = 0; j < MATRIX_N; j++) row += (int32_t)ma[i][j] * mb[0][j];
        sum ^= row;
    }
    for (int i = 0; i < MATRIX_N; i++) {
        for (int j = 0; j < MATRIX_N; j++) {
            int32_t acc = 0;
            for (int x = 0; x < MATRIX_N; x++) acc += (int32_t)ma[i][x] * mb[x][j];
            mc[i][j] = acc;
        }
    }
    /* Extract bit fields of the product, as packed-data code does. */
    for (int i = 0; i < MATRIX_N; i++)
        for (int j = 0; j < MATRIX_N; j++) sum += ((uint32_t)mc[i][j] >> 3) & 0x7f;
    return crc16_u32(crc, (uint32_t)sum);
}

/* ---- state machine ----------------------------------------------------------------- */

enum state { START, INTEGER, SIGN, POINT, FRACTION, EXPONENT, EXPONENT_SIGN, SCIENTIFIC, INVALID, STATES };

static uint8_t input[INPUT_BYTES];

/* Writes comma-separated tokens that are integers, decimals, numbers with exponents or junk. */
static void make_input(uint32_t *state) {
    static const char pieces[] = "0123456789012345678901234567890123456789+-.eE,,,,xyz ";
    for (uint32_t i = 0; i < INPUT_BYTES; i++) {
        uint32_t r = wl_xorshift32(state) & 63;
        input[i] = (uint8_t)pieces[r < sizeof pieces - 1 ? r : 0];
    }
}

static enum state step(enum state s, uint8_t c) {
    int digit = c >= '0' && c <= '9';
    switch (s) {
    case START:
        if (digit) return INTEGER;
        if (c == '+' || c == '-') return SIGN;
        if (c == '.') return POINT;
        return INVALID;
    case SIGN: return digit ? INTEGER : c == '.' ? POINT : INVALID;
    case INTEGER:
        if (digit) return INTEGER;
        if (c == '.') return POINT;
        if (c == 'e' || c == 'E') return EXPONENT;
        return INVALID;
    case POINT: return digit ? FRACTION : INVALID;
    case FRACTION:
        if (digit) return FRACTION;
        if (c == 'e' || c == 'E') return EXPONENT;
        return INVALID;
    case EXPONENT: return digit ? SCIENTIFIC : (c == '+' || c == '-') ? EXPONENT_SIGN : INVALID;
    case EXPONENT_SIGN: return digit ? SCIENTIFIC : INVALID;
    case SCIENTIFIC: return digit ? SCIENTIFIC : INVALID;
    default: return INVALID;
    }
}

static uint16_t state_machine_work(uint16_t crc, uint32_t *state) {
    make_input(state);
    uint32_t final_counts[STATES] = {0}, transitions = 0;
    enum state s = START;
    for (uint32_t i = 0; i < INPUT_BYTES; i++) {
        uint8_t c = input[i];
        if (c == ',') {
            final_counts[s]++;
            s = START;
            continue;
        }
        enum state next = step(s, c);
        transitions += next != s;
        s = next;
    }
    final_counts[s]++;
    for (int k = 0; k < STATES; k++) crc = crc16_u32(crc, final_counts[k]);
    return crc16_u32(crc, transitions);
}

_Noreturn void workload_main(void) {
    uint64_t checksum = WL_FNV_OFFSET;
    uint16_t crc = 0;
    for (int round = 0; round < WORKLOAD_SCALE; round++) {
        for (int iteration = 0; iteration < ITERATIONS; iteration++) {
            /* Seed this iteration from everything computed so far. */
            uint32_t state = DATA_SEED ^ ((uint32_t)crc << 8) ^ (uint32_t)iteration;
            if (state == 0) state = DATA_SEED;
            crc = list_work(crc, &state);
            crc = matrix_work(crc, &state);
            crc = state_machine_work(crc, &state);
        }
        checksum = wl_fold(checksum, crc);
    }
    wl_finish("coremark-like" WORKLOAD_SUFFIX, checksum,
              WORKLOAD_EXPECTED(0xfc6bd32daf27362cull, 0xaf987b4c865b56b9ull));
}
