namespace Sift.Kernels.Emitted;

/// <summary>
/// The few x86-64 instructions the emitted micro-kernels need, encoded by hand: general-purpose
/// moves, adds and the loop branch, and the AVX-512 (EVEX) vector forms with a register or a
/// [base + index·scale + disp32] operand. Registers are numbered as the hardware does: rax 0 ... r15 15,
/// zmm0 ... zmm31; a number outside those ranges is refused (an encoding would silently drop its high bits).
/// Only what the kernels use is here, and only in the forms they use.
/// </summary>
internal sealed class X64Assembler
{
    private const int Rsp = 4;

    private readonly List<byte> _code = [];

    /// <summary>Bytes emitted so far (the next instruction's offset).</summary>
    public int Position => _code.Count;

    public byte[] ToArray() => _code.ToArray();

    /// <summary>mov destination, source (64-bit).</summary>
    public void Move(int destination, int source)
    {
        General(destination);
        General(source);
        Rex(source, 0, destination);
        Emit(0x89);
        Emit((byte)(0xC0 | (source & 7) << 3 | (destination & 7)));
    }

    /// <summary>mov destination, qword [address].</summary>
    public void Load(int destination, MemoryOperand address)
    {
        General(destination);
        Check(address);
        Rex(destination, address.Index, address.Base);
        Emit(0x8B);
        Memory(destination, address);
    }

    /// <summary>add register, immediate (sign-extended 32-bit).</summary>
    public void Add(int register, int immediate)
    {
        General(register);
        Rex(0, 0, register);
        Emit(0x81);
        Emit((byte)(0xC0 | (register & 7)));
        Immediate(immediate);
    }

    /// <summary>dec register (64-bit; sets ZF for the loop branch).</summary>
    public void Decrement(int register)
    {
        General(register);
        Rex(0, 0, register);
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

    /// <summary>vmovdqu32 zmm, [address].</summary>
    public void LoadInt32s(int destination, MemoryOperand address) =>
        VectorMemory(Map0F, PrefixF3, destination, 0, address, broadcast: false, opcode: 0x6F);

    /// <summary>vmovups zmm, [address].</summary>
    public void LoadFloats(int destination, MemoryOperand address) =>
        VectorMemory(Map0F, PrefixNone, destination, 0, address, broadcast: false, opcode: 0x10);

    /// <summary>vmovups [address], zmm.</summary>
    public void StoreFloats(MemoryOperand address, int source) =>
        VectorMemory(Map0F, PrefixNone, source, 0, address, broadcast: false, opcode: 0x11);

    /// <summary>vpbroadcastd zmm, dword [address].</summary>
    public void BroadcastInt32(int destination, MemoryOperand address) =>
        VectorMemory(Map0F38, Prefix66, destination, 0, address, broadcast: false, opcode: 0x58);

    /// <summary>vfmadd231ps zmm, zmm, dword bcst [address]: destination += factor · the broadcast float.</summary>
    public void FusedMultiplyAddBroadcast(int destination, int factor, MemoryOperand address) =>
        VectorMemory(Map0F38, Prefix66, destination, factor, address, broadcast: true, opcode: 0xB8);

    /// <summary>vpdpbusd zmm, zmm, zmm: each int32 lane of destination += Σ of 4 unsigned bytes of <paramref name="unsignedBytes"/> × signed bytes of <paramref name="signedBytes"/>.</summary>
    public void DotBytes(int destination, int unsignedBytes, int signedBytes) =>
        VectorRegisters(Map0F38, Prefix66, destination, unsignedBytes, signedBytes, 0x50);

    /// <summary>vcvtdq2ps zmm, zmm.</summary>
    public void ConvertInt32ToFloat(int destination, int source) => VectorRegisters(Map0F, PrefixNone, destination, 0, source, 0x5B);

    /// <summary>vmulps zmm, zmm, zmm.</summary>
    public void MultiplyFloats(int destination, int left, int right) => VectorRegisters(Map0F, PrefixNone, destination, left, right, 0x59);

    /// <summary>vpaddd zmm, zmm, zmm.</summary>
    public void AddInt32s(int destination, int left, int right) => VectorRegisters(Map0F, Prefix66, destination, left, right, 0xFE);

    /// <summary>vpxord zmm, zmm, zmm.</summary>
    public void Xor(int destination, int left, int right) => VectorRegisters(Map0F, Prefix66, destination, left, right, 0xEF);

    private const int Map0F = 1;
    private const int Map0F38 = 2;
    private const int PrefixNone = 0;
    private const int Prefix66 = 1;
    private const int PrefixF3 = 2;

    private static void General(int register)
    {
        if ((uint)register > 15)
        {
            throw new ArgumentOutOfRangeException(nameof(register), register, "a general-purpose register is 0 (rax) .. 15 (r15)");
        }
    }

    private static void Vector(int register)
    {
        if ((uint)register > 31)
        {
            throw new ArgumentOutOfRangeException(nameof(register), register, "a vector register is 0 (zmm0) .. 31 (zmm31)");
        }
    }

    private static void Check(MemoryOperand address)
    {
        General(address.Base);
        if (address.Index == Rsp || address.Index is < MemoryOperand.NoIndex or > 15)
        {
            throw new ArgumentOutOfRangeException(nameof(address), address.Index, "an index register is 0 .. 15 except 4 (rsp), or none");
        }
        if (address.Scale is not (1 or 2 or 4 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(address), address.Scale, "an index scale is 1, 2, 4 or 8");
        }
    }

    /// <summary>REX.W with R, X and B extending the ModRM reg field, the SIB index and the ModRM rm (or SIB base) field.</summary>
    private void Rex(int reg, int index, int rm) =>
        Emit((byte)(0x48 | ((reg >> 3) & 1) << 2 | (index == MemoryOperand.NoIndex ? 0 : (index >> 3) & 1) << 1 | ((rm >> 3) & 1)));

    /// <summary>ModRM (mod 10: disp32 after the base) and a SIB byte where there is an index or the base needs one (rsp, r12).</summary>
    private void Memory(int reg, MemoryOperand address)
    {
        var hasIndex = address.Index != MemoryOperand.NoIndex;
        if (hasIndex || (address.Base & 7) == Rsp)
        {
            Emit((byte)(0x80 | (reg & 7) << 3 | Rsp));
            var scaleBits = address.Scale switch { 1 => 0, 2 => 1, 4 => 2, _ => 3 };
            // SIB index 100 without REX.X/EVEX.X means "no index".
            Emit((byte)(scaleBits << 6 | (hasIndex ? address.Index & 7 : Rsp) << 3 | (address.Base & 7)));
        }
        else
        {
            Emit((byte)(0x80 | (reg & 7) << 3 | (address.Base & 7)));
        }
        Immediate(address.Displacement);
    }

    /// <summary>
    /// The 4-byte EVEX prefix of a 512-bit instruction without masking: R, X, B, R' and V' are stored
    /// inverted; X extends a register rm to 5 bits, or is the SIB index's bit 3 for a memory operand.
    /// </summary>
    private void Evex(int map, int prefix, int reg, int vvvv, int rm, int x, bool broadcast)
    {
        var r = (reg >> 3) & 1;
        var rHigh = (reg >> 4) & 1;
        var b = (rm >> 3) & 1;
        Emit(0x62);
        Emit((byte)((r ^ 1) << 7 | (x ^ 1) << 6 | (b ^ 1) << 5 | (rHigh ^ 1) << 4 | map));
        Emit((byte)((~vvvv & 0xF) << 3 | 0x04 | prefix));
        Emit((byte)(0x40 | (broadcast ? 0x10 : 0) | (((vvvv >> 4) & 1) ^ 1) << 3));
    }

    private void VectorMemory(int map, int prefix, int reg, int vvvv, MemoryOperand address, bool broadcast, byte opcode)
    {
        Vector(reg);
        Vector(vvvv);
        Check(address);
        var x = address.Index == MemoryOperand.NoIndex ? 0 : (address.Index >> 3) & 1;
        Evex(map, prefix, reg, vvvv, address.Base, x, broadcast);
        Emit(opcode);
        Memory(reg, address);
    }

    private void VectorRegisters(int map, int prefix, int reg, int vvvv, int rm, byte opcode)
    {
        Vector(reg);
        Vector(vvvv);
        Vector(rm);
        Evex(map, prefix, reg, vvvv, rm, (rm >> 4) & 1, broadcast: false);
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
