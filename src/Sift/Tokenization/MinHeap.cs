namespace Sift.Tokenization;

/// <summary>
/// A binary min-heap of longs over a caller-sized array, for <see cref="BpeModel"/>'s merge queue:
/// no per-entry objects and no growth, so a long piece costs one array and no copies.
/// </summary>
internal struct MinHeap(long[] items)
{
    private int _count;

    public readonly long[] Items => items;

    public void Push(long value)
    {
        var index = _count++;
        while (index > 0)
        {
            var parent = (index - 1) >> 1;
            if (items[parent] <= value)
            {
                break;
            }
            items[index] = items[parent];
            index = parent;
        }
        items[index] = value;
    }

    public bool TryPop(out long value)
    {
        if (_count == 0)
        {
            value = 0;
            return false;
        }
        value = items[0];
        var last = items[--_count];
        var index = 0;
        while (true)
        {
            var child = 2 * index + 1;
            if (child >= _count)
            {
                break;
            }
            if (child + 1 < _count && items[child + 1] < items[child])
            {
                child++;
            }
            if (items[child] >= last)
            {
                break;
            }
            items[index] = items[child];
            index = child;
        }
        items[index] = last;
        return true;
    }
}
