using System.Security.Cryptography;
using Sift.Hub;

namespace Sift.Tests.Hub;

public sealed class ModelProvenanceTests
{
    [Fact]
    public void HubSnapshot_GivesItsRevision_AndTakesEachDigestFromTheBlobName()
    {
        var root = Directory.CreateTempSubdirectory("sift-provenance-").FullName;
        try
        {
            const string commit = "0123456789abcdef0123456789abcdef01234567";
            var blobs = Directory.CreateDirectory(Path.Combine(root, "models--Qwen--Tiny", "blobs")).FullName;
            var snapshot = Directory.CreateDirectory(Path.Combine(root, "models--Qwen--Tiny", "snapshots", commit)).FullName;
            // The blob's name is what the hub says the file's SHA-256 is; a name that differs from the content proves it is not re-read.
            var blobName = new string('e', 64);
            File.WriteAllBytes(Path.Combine(blobs, blobName), [1, 2, 3]);
            File.CreateSymbolicLink(Path.Combine(snapshot, "model.safetensors"), Path.Combine("..", "..", "blobs", blobName));

            var provenance = ModelProvenance.Read(snapshot);

            Assert.Equal(commit, provenance.Revision);
            var file = Assert.Single(provenance.Files);
            Assert.Equal(("model.safetensors", 3L, blobName), (file.Name, file.Bytes, file.Sha256));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void GgufFileOutsideACache_IsHashed_AndHasNoRevision()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("sift-provenance-").FullName, "model.gguf");
        try
        {
            var content = new byte[3_000_000];
            new Random(7).NextBytes(content);
            File.WriteAllBytes(file, content);

            var provenance = ModelProvenance.Read(file);

            Assert.Null(provenance.Revision);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), Assert.Single(provenance.Files).Sha256);
            Assert.Null(Assert.Single(ModelProvenance.Read(file, hash: false).Files).Sha256);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }
}
