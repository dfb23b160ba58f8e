namespace Switchboard.Delivery.Http;

/// <summary>How <see cref="HttpWebhookSender"/> sends. The defaults are what Telnyx does; call <see cref="Validate"/> to check.</summary>
public sealed class HttpWebhookSenderOptions
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan MinTimeout = TimeSpan.FromMilliseconds(1);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan DefaultPooledConnectionLifetime = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan DefaultPooledConnectionIdleTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The whole exchange of one request (connect, TLS, send, response headers, the first 10 kB of the body)
    /// must fit in this. Default 2 s: Telnyx counts anything slower as a failure. Between 1 ms and 5 minutes.
    /// </summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary>
    /// Allows targets on loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7) and CGNAT (100.64/10) addresses,
    /// for local development and tests. Link-local (169.254.169.254 included), multicast, broadcast, unspecified
    /// and reserved addresses stay refused either way. Default false.
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>
    /// How long one pooled connection is reused before a new one is opened (and the host resolved and checked
    /// again), so DNS changes are seen. Default 1 minute. Between 1 s and 1 hour.
    /// </summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = DefaultPooledConnectionLifetime;

    /// <summary>An idle pooled connection is closed after this. Default 30 s. Between 1 s and 1 hour.</summary>
    public TimeSpan PooledConnectionIdleTimeout { get; set; } = DefaultPooledConnectionIdleTimeout;

    /// <summary>Open connections per host and port at most; further requests wait for one. Default unlimited.</summary>
    public int MaxConnectionsPerServer { get; set; } = int.MaxValue;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        CheckRange(Timeout, MinTimeout, MaxTimeout, nameof(Timeout));
        CheckRange(PooledConnectionLifetime, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), nameof(PooledConnectionLifetime));
        CheckRange(PooledConnectionIdleTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1), nameof(PooledConnectionIdleTimeout));
        if (MaxConnectionsPerServer < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxConnectionsPerServer), MaxConnectionsPerServer,
                $"{nameof(MaxConnectionsPerServer)} must be at least 1.");
        }
    }

    private static void CheckRange(TimeSpan value, TimeSpan min, TimeSpan max, string name)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be between {min} and {max}; it is {value}.");
        }
    }
}
