/// Every operation the hart executes, one case per instruction of RV64GC, Zicsr, Zifencei and
/// the privileged architecture. Compressed instructions decode to the operation they expand to
/// (unprivileged spec, chapter "C" extension: each RVC instruction expands to one base one).
public enum Op: UInt16, Sendable, CaseIterable {
    case illegal = 0
    // RV64I
    case lui, auipc, jal, jalr
    case beq, bne, blt, bge, bltu, bgeu
    case lb, lh, lw, ld, lbu, lhu, lwu
    case sb, sh, sw, sd
    case addi, slti, sltiu, xori, ori, andi, slli, srli, srai
    case add, sub, sll, slt, sltu, xor, srl, sra, or, and
    case addiw, slliw, srliw, sraiw, addw, subw, sllw, srlw, sraw
    case fence, ecall, ebreak
    // Zifencei
    case fence_i
    // M
    case mul, mulh, mulhsu, mulhu, div, divu, rem, remu
    case mulw, divw, divuw, remw, remuw
    // A
    case lr_w, sc_w, amoswap_w, amoadd_w, amoxor_w, amoand_w, amoor_w, amomin_w, amomax_w, amominu_w, amomaxu_w
    case lr_d, sc_d, amoswap_d, amoadd_d, amoxor_d, amoand_d, amoor_d, amomin_d, amomax_d, amominu_d, amomaxu_d
    // F
    case flw, fsw
    case fmadd_s, fmsub_s, fnmsub_s, fnmadd_s
    case fadd_s, fsub_s, fmul_s, fdiv_s, fsqrt_s
    case fsgnj_s, fsgnjn_s, fsgnjx_s, fmin_s, fmax_s
    case fcvt_w_s, fcvt_wu_s, fcvt_l_s, fcvt_lu_s
    case fcvt_s_w, fcvt_s_wu, fcvt_s_l, fcvt_s_lu
    case fmv_x_w, fmv_w_x, feq_s, flt_s, fle_s, fclass_s
    // D
    case fld, fsd
    case fmadd_d, fmsub_d, fnmsub_d, fnmadd_d
    case fadd_d, fsub_d, fmul_d, fdiv_d, fsqrt_d
    case fsgnj_d, fsgnjn_d, fsgnjx_d, fmin_d, fmax_d
    case fcvt_s_d, fcvt_d_s
    case fcvt_w_d, fcvt_wu_d, fcvt_l_d, fcvt_lu_d
    case fcvt_d_w, fcvt_d_wu, fcvt_d_l, fcvt_d_lu
    case fmv_x_d, fmv_d_x, feq_d, flt_d, fle_d, fclass_d
    // Zicsr
    case csrrw, csrrs, csrrc, csrrwi, csrrsi, csrrci
    // Privileged
    case sret, mret, wfi, sfence_vma
    // H extension: hypervisor virtual-machine loads/stores and fences
    case hlv_b, hlv_bu, hlv_h, hlv_hu, hlvx_hu, hlv_w, hlvx_wu, hlv_wu, hlv_d
    case hsv_b, hsv_h, hsv_w, hsv_d
    case hfence_vvma, hfence_gvma
    // Engine-internal: never produced by the decoder. Marks the end of a decoded block so the
    // dispatch loop needs no per-instruction bounds check.
    case blockEnd
    // Engine-internal superinstructions: never produced by `decode`. `Decoder.fusePairs` puts one
    // in place of the first of two adjacent ops whose second reads the first's result; the second
    // instruction stays in the block unchanged and supplies its operands. One dispatch runs both,
    // and the intermediate value stays in a host register instead of round-tripping through the
    // register file. Pairs chosen from the corpus's dynamically hottest dependent pairs.
    case slli_add, srli_add, slli_xor, slliw_xor, srliw_xor, slli_or, srliw_or
    case mul_add, add_add, and_xor, sltu_and, addw_add
    case xor_srliw, xor_slli, xor_slliw, xor_andi, andi_slli, slli_srli
    case addi_bne, addi_beq, addiw_bgeu, addiw_bltu
    // Superinstructions for pairs that need not be dependent: the second op reads its own
    // operands after the first has written its result, exactly as if run one after the other.
    case add_then_add, addi_then_addi, srliw_then_slli, slli_then_srliw, or_then_slli, xor_then_xor
    case slli_then_or, srliw_then_or, addiw_then_add, add_then_sltu, sltu_then_sltu
    case add_then_bltu, add_then_bne
    case slli_then_slli, addi_then_slli, addi_then_add, xor_then_add, srli_then_slli, xor_then_and
    case srliw_then_addi, addi_then_xor, xor_then_bne, addi_then_bne
    // Pairs with a load or store, made by `Decoder.fusePairs`' second pass from ops left over by
    // the first, so they never displace a pair above. Each half runs exactly as its plain op.
    case lw_then_lw, lhu_then_lhu, sw_then_addi, sb_then_addi
    case lw_then_srliw, lbu_then_xor, lw_then_add, lw_then_slli, ld_then_addiw, ld_then_addi
    case add_then_sw, add_then_lw, add_then_lwu, sd_then_add

    /// True for the engine's own ops (`blockEnd` and the superinstructions), which no encoding produces.
    public var isEngineInternal: Bool { rawValue >= Op.blockEnd.rawValue }
}

/// How an encoding's operand fields are laid out (unprivileged spec §2.2–2.3 and the F/A chapters).
public enum InstructionFormat: Sendable {
    case r, i, s, b, u, j
    /// I-type shift with a 6-bit (RV64) shift amount.
    case shift64
    /// I-type shift with a 5-bit shift amount (the W forms).
    case shift32
    /// R-type floating point whose funct3 is the rounding mode (kept in `imm`).
    case rm
    /// R4-type fused multiply-add: rs3 in bits 31:27, rounding mode in funct3.
    case r4
    /// CSR access: the CSR number in `imm`; for the immediate forms `rs1` is the 5-bit zimm.
    case csr
    /// No operands (ecall, mret, fence…).
    case none
}

/// One line of the encoding table: the manual's mask/match pair for an instruction.
public struct Encoding: Sendable {
    public let name: String
    public let mask: UInt32
    public let match: UInt32
    public let format: InstructionFormat
    public let op: Op
}
