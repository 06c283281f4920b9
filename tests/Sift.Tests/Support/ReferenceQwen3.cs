namespace Sift.Tests.Support;

/// <summary>
/// A plain double-precision Qwen3 forward written from the contract, with none of the engine's
/// kernels: the independent reference for generated checkpoints.
/// </summary>
internal sealed class ReferenceQwen3(TinyQwen3Checkpoint checkpoint)
{
    private readonly TinyQwen3Spec _spec = checkpoint.Spec;
    private readonly Dictionary<string, float[]> _w = checkpoint.Weights;

    /// <summary>The final-normalized hidden state of the last token.</summary>
    public double[] LastHidden(int[] ids)
    {
        var h = _spec.Hidden;
        var d = _spec.HeadDim;
        var n = ids.Length;
        var embedding = _w["embed_tokens.weight"];
        var x = new double[n][];
        for (var t = 0; t < n; t++)
        {
            x[t] = Enumerable.Range(0, h).Select(i => (double)embedding[(long)ids[t] * h + i]).ToArray();
        }
        for (var l = 0; l < _spec.Layers; l++)
        {
            var p = $"layers.{l}.";
            var normalized = x.Select(row => Norm(row, _w[p + "input_layernorm.weight"])).ToArray();
            var q = normalized.Select(row => Project(row, _w[p + "self_attn.q_proj.weight"], _spec.Heads * d)).ToArray();
            var k = normalized.Select(row => Project(row, _w[p + "self_attn.k_proj.weight"], _spec.KeyValueHeads * d)).ToArray();
            var v = normalized.Select(row => Project(row, _w[p + "self_attn.v_proj.weight"], _spec.KeyValueHeads * d)).ToArray();
            for (var t = 0; t < n; t++)
            {
                for (var head = 0; head < _spec.Heads; head++)
                {
                    NormalizeAndRotate(q[t], head * d, _w[p + "self_attn.q_norm.weight"], t);
                }
                for (var head = 0; head < _spec.KeyValueHeads; head++)
                {
                    NormalizeAndRotate(k[t], head * d, _w[p + "self_attn.k_norm.weight"], t);
                }
            }
            var group = _spec.Heads / _spec.KeyValueHeads;
            for (var t = 0; t < n; t++)
            {
                var attended = new double[_spec.Heads * d];
                for (var head = 0; head < _spec.Heads; head++)
                {
                    var kv = head / group;
                    var scores = new double[t + 1];
                    for (var j = 0; j <= t; j++)
                    {
                        double dot = 0;
                        for (var i = 0; i < d; i++)
                        {
                            dot += q[t][head * d + i] * k[j][kv * d + i];
                        }
                        scores[j] = dot / Math.Sqrt(d);
                    }
                    var max = scores.Max();
                    var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
                    var sum = weights.Sum();
                    for (var j = 0; j <= t; j++)
                    {
                        for (var i = 0; i < d; i++)
                        {
                            attended[head * d + i] += weights[j] / sum * v[j][kv * d + i];
                        }
                    }
                }
                var output = Project(attended, _w[p + "self_attn.o_proj.weight"], h);
                for (var i = 0; i < h; i++)
                {
                    x[t][i] += output[i];
                }
            }
            for (var t = 0; t < n; t++)
            {
                var m = Norm(x[t], _w[p + "post_attention_layernorm.weight"]);
                var gate = Project(m, _w[p + "mlp.gate_proj.weight"], _spec.Intermediate);
                var up = Project(m, _w[p + "mlp.up_proj.weight"], _spec.Intermediate);
                var inner = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
                var down = Project(inner, _w[p + "mlp.down_proj.weight"], h);
                for (var i = 0; i < h; i++)
                {
                    x[t][i] += down[i];
                }
            }
        }
        return Norm(x[n - 1], _w["norm.weight"]);
    }

    /// <summary>The logit of one token: its output row (lm_head, or the embedding when tied) dotted with the hidden state.</summary>
    public double Logit(double[] hidden, int token)
    {
        var head = _spec.Tied ? _w["embed_tokens.weight"] : _w["lm_head.weight"];
        return Enumerable.Range(0, _spec.Hidden).Sum(i => head[(long)token * _spec.Hidden + i] * hidden[i]);
    }

    private static double[] Norm(double[] x, float[] weight)
    {
        var inverse = 1 / Math.Sqrt(x.Sum(v => v * v) / x.Length + 1e-6);
        return x.Select((v, i) => v * inverse * weight[i]).ToArray();
    }

    private static double[] Project(double[] x, float[] weight, int rows)
    {
        var result = new double[rows];
        for (var r = 0; r < rows; r++)
        {
            double sum = 0;
            for (var c = 0; c < x.Length; c++)
            {
                sum += weight[(long)r * x.Length + c] * x[c];
            }
            result[r] = sum;
        }
        return result;
    }

    private void NormalizeAndRotate(double[] row, int offset, float[] weight, int position)
    {
        var d = _spec.HeadDim;
        var head = Norm(row[offset..(offset + d)], weight);
        for (var i = 0; i < d / 2; i++)
        {
            var angle = position / Math.Pow(1_000_000.0, 2.0 * i / d);
            var (x1, x2) = (head[i], head[i + d / 2]);
            row[offset + i] = x1 * Math.Cos(angle) - x2 * Math.Sin(angle);
            row[offset + i + d / 2] = x2 * Math.Cos(angle) + x1 * Math.Sin(angle);
        }
    }
}
