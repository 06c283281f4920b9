namespace Sift.Kernels.Emitted;

/// <summary>An x86-64 memory operand for <see cref="X64Assembler"/>: [base + index·scale + displacement], the index optional.</summary>
internal readonly record struct MemoryOperand(int Base, int Displacement, int Index = MemoryOperand.NoIndex, int Scale = 1)
{
    /// <summary>The <see cref="Index"/> of an operand without one.</summary>
    public const int NoIndex = -1;
}
