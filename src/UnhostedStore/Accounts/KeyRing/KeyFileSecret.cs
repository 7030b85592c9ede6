using System.Security.Cryptography;

namespace UnhostedStore.Accounts.KeyRing;

/// <summary>
/// The 256-bit key of a key file (<c>DataProtection:KeyFile</c>, or the embedded default's
/// <c>DataDirectory/data-protection.key</c>): 32 random bytes, stored as one line of base64.
/// </summary>
public sealed class KeyFileSecret
{
    public const int KeyBytes = 32;

    /// <summary>The embedded default's key file, beside the SQLite database but never in it.</summary>
    public const string DefaultFileName = "data-protection.key";

    private readonly byte[] _key;

    public KeyFileSecret(byte[] key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"A key file holds {KeyBytes} bytes.", nameof(key));
        }

        _key = key.ToArray();
        Fingerprint = Convert.ToHexStringLower(SHA256.HashData(_key).AsSpan(0, 8));
    }

    /// <summary>Names the key without revealing it: which key file encrypted a stored key.</summary>
    public string Fingerprint { get; }

    public string Path { get; private init; } = string.Empty;

    internal ReadOnlySpan<byte> Key => _key;

    /// <summary>Reads a key file; a missing or malformed file stops the start with a message.</summary>
    public static KeyFileSecret Read(string path)
    {
        var text = File.ReadAllText(path).Trim();
        byte[] key;
        try
        {
            key = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"DataProtection:KeyFile: {path} is not base64. It must hold {KeyBytes} random bytes as base64 (head -c 32 /dev/urandom | base64).");
        }

        if (key.Length != KeyBytes)
        {
            throw new InvalidOperationException($"DataProtection:KeyFile: {path} holds {key.Length} bytes; it must hold {KeyBytes} random bytes as base64 (head -c 32 /dev/urandom | base64).");
        }

        return new KeyFileSecret(key) { Path = path };
    }

    /// <summary>
    /// Reads the key file at <paramref name="path"/>, first making it with a new random key if
    /// there is none: readable and writable by the owner only (0600), written whole under a
    /// temporary name and then moved into place, so two processes starting together both end up
    /// with the one file that won.
    /// </summary>
    public static KeyFileSecret ReadOrCreate(string path)
    {
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
            var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            try
            {
                using (var stream = new FileStream(temp, options))
                using (var writer = new StreamWriter(stream))
                {
                    writer.WriteLine(Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes)));
                }

                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process made it first: theirs is the key.
            }
            finally
            {
                File.Delete(temp);
            }
        }

        return Read(path);
    }
}
