namespace Sift.Kernels.Emitted;

/// <summary>
/// The few x86-64 instructions the emitted micro-kernels need, encoded by hand: general-purpose
/// moves, adds and the loop branch, and the AVX-512 (EVEX) vector forms with a register or a
/// [base + disp32] operand. Registers are numbered as the hardware does: rax 0 ... r15 15,
/// zmm0 ... zmm31. Only what the kernels use is here, and only in the forms they use.
/// </summary>
internal sealed class X64Assembler
{
    private readonly List<byte> _code = [];

    /// <summary>Bytes emitted so far (the next instruction's offset).</summary>
    public int Position => _code.Count;

    public byte[] ToArray() => _code.ToArray();

    public void Push(int register)
    {
        if (register >= 8)
        {
            Emit(0x41);
        }
        Emit((byte)(0x50 + (register & 7)));
    }

    public void Pop(int register)
    {
        if (register >= 8)
        {
            Emit(0x41);
        }
        Emit((byte)(0x58 + (register & 7)));
    }

    /// <summary>mov destination, source (64-bit).</summary>
    public void Move(int destination, int source)
    {
        Rex(source, destination);
        Emit(0x89);
        Emit((byte)(0xC0 | (source & 7) << 3 | (destination & 7)));
    }

    /// <summary>mov destination, qword [base + displacement].</summary>
    public void Load(int destination, int baseRegister, int displacement)
    {
        Rex(destination, baseRegister);
        Emit(0x8B);
        Memory(destination, baseRegister, displacement);
    }

    /// <summary>add register, immediate (sign-extended 32-bit).</summary>
    public void Add(int register, int immediate)
    {
        Rex(0, register);
        Emit(0x81);
        Emit((byte)(0xC0 | (register & 7)));
        Immediate(immediate);
    }

    /// <summary>dec register (64-bit; sets ZF for the loop branch).</summary>
    public void Decrement(int register)
    {
        Rex(0, register);
        Emit(0xFF);
        Emit((byte)(0xC8 | (register & 7)));
    }

    /// <summary>jnz to an earlier <paramref name="target"/> offset (rel32).</summary>
    public void JumpIfNotZero(int target)
    {
        Emit(0x0F);
        Emit(0x85);
        Immediate(target - (Position + 4));
    }

    public void Return() => Emit(0xC3);

    public void ZeroUpper()
    {
        Emit(0xC5);
        Emit(0xF8);
        Emit(0x77);
    }

    /// <summary>vmovdqu32 zmm, [base + displacement].</summary>
    public void LoadInt32s(int destination, int baseRegister, int displacement) =>
        VectorMemory(Map0F, PrefixF3, destination, 0, baseRegister, displacement, broadcast: false, opcode: 0x6F);

    /// <summary>vmovups zmm, [base + displacement].</summary>
    public void LoadFloats(int destination, int baseRegister, int displacement) =>
        VectorMemory(Map0F, PrefixNone, destination, 0, baseRegister, displacement, broadcast: false, opcode: 0x10);

    /// <summary>vmovups [base + displacement], zmm.</summary>
    public void StoreFloats(int baseRegister, int displacement, int source) =>
        VectorMemory(Map0F, PrefixNone, source, 0, baseRegister, displacement, broadcast: false, opcode: 0x11);

    /// <summary>vpbroadcastd zmm, dword [base + displacement].</summary>
    public void BroadcastInt32(int destination, int baseRegister, int displacement) =>
        VectorMemory(Map0F38, Prefix66, destination, 0, baseRegister, displacement, broadcast: false, opcode: 0x58);

    /// <summary>vfmadd231ps zmm, zmm, dword bcst [base + displacement]: destination += factor · the broadcast float.</summary>
    public void FusedMultiplyAddBroadcast(int destination, int factor, int baseRegister, int displacement) =>
        VectorMemory(Map0F38, Prefix66, destination, factor, baseRegister, displacement, broadcast: true, opcode: 0xB8);

    /// <summary>vpdpbusd zmm, zmm, zmm: each int32 lane of destination += Σ of 4 unsigned bytes of <paramref name="unsignedBytes"/> × signed bytes of <paramref name="signedBytes"/>.</summary>
    public void DotBytes(int destination, int unsignedBytes, int signedBytes) =>
        VectorRegisters(Map0F38, Prefix66, destination, unsignedBytes, signedBytes, 0x50);

    /// <summary>vcvtdq2ps zmm, zmm.</summary>
    public void ConvertInt32ToFloat(int destination, int source) => VectorRegisters(Map0F, PrefixNone, destination, 0, source, 0x5B);

    /// <summary>vmulps zmm, zmm, zmm.</summary>
    public void MultiplyFloats(int destination, int left, int right) => VectorRegisters(Map0F, PrefixNone, destination, left, right, 0x59);

    /// <summary>vpxord zmm, zmm, zmm.</summary>
    public void Xor(int destination, int left, int right) => VectorRegisters(Map0F, Prefix66, destination, left, right, 0xEF);

    private const int Map0F = 1;
    private const int Map0F38 = 2;
    private const int PrefixNone = 0;
    private const int Prefix66 = 1;
    private const int PrefixF3 = 2;

    /// <summary>REX.W with R and B extending the ModRM reg and rm fields.</summary>
    private void Rex(int reg, int rm) => Emit((byte)(0x48 | ((reg >> 3) & 1) << 2 | ((rm >> 3) & 1)));

    /// <summary>ModRM (mod 10: [base + disp32]) and SIB where the base needs one (rsp, r12).</summary>
    private void Memory(int reg, int baseRegister, int displacement)
    {
        Emit((byte)(0x80 | (reg & 7) << 3 | (baseRegister & 7)));
        if ((baseRegister & 7) == 4)
        {
            Emit(0x24);
        }
        Immediate(displacement);
    }

    /// <summary>
    /// The 4-byte EVEX prefix of a 512-bit instruction without masking: R, X, B, R' and V' are stored
    /// inverted; X extends a register rm to 5 bits (and is 0 for a memory operand without index).
    /// </summary>
    private void Evex(int map, int prefix, int reg, int vvvv, int rm, bool rmIsVector, bool broadcast)
    {
        var r = (reg >> 3) & 1;
        var rHigh = (reg >> 4) & 1;
        var b = (rm >> 3) & 1;
        var x = rmIsVector ? (rm >> 4) & 1 : 0;
        Emit(0x62);
        Emit((byte)((r ^ 1) << 7 | (x ^ 1) << 6 | (b ^ 1) << 5 | (rHigh ^ 1) << 4 | map));
        Emit((byte)((~vvvv & 0xF) << 3 | 0x04 | prefix));
        Emit((byte)(0x40 | (broadcast ? 0x10 : 0) | (((vvvv >> 4) & 1) ^ 1) << 3));
    }

    private void VectorMemory(int map, int prefix, int reg, int vvvv, int baseRegister, int displacement, bool broadcast, byte opcode)
    {
        Evex(map, prefix, reg, vvvv, baseRegister, rmIsVector: false, broadcast);
        Emit(opcode);
        Memory(reg, baseRegister, displacement);
    }

    private void VectorRegisters(int map, int prefix, int reg, int vvvv, int rm, byte opcode)
    {
        Evex(map, prefix, reg, vvvv, rm, rmIsVector: true, broadcast: false);
        Emit(opcode);
        Emit((byte)(0xC0 | (reg & 7) << 3 | (rm & 7)));
    }

    private void Immediate(int value)
    {
        Emit((byte)value);
        Emit((byte)(value >> 8));
        Emit((byte)(value >> 16));
        Emit((byte)(value >> 24));
    }

    private void Emit(byte value) => _code.Add(value);
}
