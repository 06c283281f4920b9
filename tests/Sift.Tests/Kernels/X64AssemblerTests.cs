using Sift.Kernels.Emitted;

namespace Sift.Tests.Kernels;

/// <summary>The emitted kernels' assembler: encodings checked against hand-assembled bytes, and register numbers it cannot encode refused.</summary>
public sealed class X64AssemblerTests
{
    private const int Rax = 0, Rcx = 1, Rdx = 2, Rsp = 4, R8 = 8, R9 = 9, R11 = 11, R12 = 12;

    /// <summary>Expected bytes from the Intel SDM encoding rules, worked out by hand (and as objdump decodes them).</summary>
    public static TheoryData<string, string> Encodings() => new()
    {
        { "vmovdqu32 zmm25, [rdx+0x480]", "62 61 7E 48 6F 8A 80 04 00 00" },
        { "vpdpbusd zmm25, zmm18, zmm16", "62 22 6D 40 50 C8" },
        { "vpaddd zmm25, zmm25, zmm1", "62 61 35 40 FE C9" },
        { "vpbroadcastd zmm18, [r8+r9*2]", "62 82 7D 48 58 94 48 00 00 00 00" },
        { "vfmadd231ps zmm24, zmm23, [r11+rcx]{1to16}", "62 42 45 50 B8 84 0B 00 00 00 00" },
        { "vmovdqu32 zmm16, [r12+0x40]", "62 C1 7E 48 6F 84 24 40 00 00 00" },
        { "mov r8, [rax+0x10]", "4C 8B 80 10 00 00 00" },
        { "add rcx, 4", "48 81 C1 04 00 00 00" },
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Assembles_TheSdmsBytes(string instruction, string bytes)
    {
        var code = new X64Assembler();
        switch (instruction)
        {
            case "vmovdqu32 zmm25, [rdx+0x480]": code.LoadInt32s(25, new MemoryOperand(Rdx, 0x480)); break;
            case "vpdpbusd zmm25, zmm18, zmm16": code.DotBytes(25, 18, 16); break;
            case "vpaddd zmm25, zmm25, zmm1": code.AddInt32s(25, 25, 1); break;
            case "vpbroadcastd zmm18, [r8+r9*2]": code.BroadcastInt32(18, new MemoryOperand(R8, 0, R9, 2)); break;
            case "vfmadd231ps zmm24, zmm23, [r11+rcx]{1to16}": code.FusedMultiplyAddBroadcast(24, 23, new MemoryOperand(R11, 0, Rcx)); break;
            case "vmovdqu32 zmm16, [r12+0x40]": code.LoadInt32s(16, new MemoryOperand(R12, 0x40)); break;
            case "mov r8, [rax+0x10]": code.Load(R8, new MemoryOperand(Rax, 0x10)); break;
            case "add rcx, 4": code.Add(Rcx, 4); break;
            default: throw new ArgumentOutOfRangeException(nameof(instruction), instruction, null);
        }
        Assert.Equal(bytes, Convert.ToHexString(code.ToArray()).Chunk(2).Select(pair => new string(pair)).Aggregate((a, b) => $"{a} {b}"));
    }

    [Fact]
    public void RefusesRegisterNumbersItCannotEncode()
    {
        var code = new X64Assembler();
        Assert.Throws<ArgumentOutOfRangeException>(() => code.Move(16, Rax));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.Add(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.Load(Rax, new MemoryOperand(16, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.DotBytes(32, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.LoadInt32s(0, new MemoryOperand(Rax, 0, Rsp)));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.LoadInt32s(0, new MemoryOperand(Rax, 0, Rcx, 3)));
        Assert.Equal(0, code.Position);
    }
}
