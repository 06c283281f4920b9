namespace Sift.Hub;

/// <summary>Where hub ids are looked up.</summary>
public enum HubKind
{
    /// <summary>The Hugging Face Hub (or a mirror at HF_ENDPOINT).</summary>
    HuggingFace,

    /// <summary>ModelScope.</summary>
    ModelScope,
}
