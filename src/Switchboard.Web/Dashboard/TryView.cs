using Switchboard.Platform.Api;
using Switchboard.Platform.Calls;
using Switchboard.Platform.Numbers;

namespace Switchboard.Web.Dashboard;

/// <summary>The "try it" page: the account's numbers and applications to send from, the public key, and what the last form did.</summary>
public sealed record TryView(
    IReadOnlyList<PhoneNumberResource> Numbers,
    IReadOnlyList<CallControlApplicationResource> Applications,
    string PublicKey,
    string ApiBaseUrl)
{
    public string? FailedForm { get; init; }

    public IReadOnlyList<ApiError> Errors { get; init; } = [];

    /// <summary>What was sent: a line of text and the text to find its deliveries by.</summary>
    public (string What, string DeliveriesFilter)? Sent { get; init; }

    public static async Task<TryView> LoadAsync(IServiceProvider services, string publicKey, string apiBaseUrl, CancellationToken cancellationToken)
    {
        var (numbers, _) = await ((PhoneNumbers)services.GetService(typeof(PhoneNumbers))!).ListAsync(1, ConfigView.Shown, cancellationToken: cancellationToken);
        var (applications, _) = await ((CallControlApplications)services.GetService(typeof(CallControlApplications))!).ListAsync(1, ConfigView.Shown, cancellationToken: cancellationToken);
        return new TryView(numbers, applications, publicKey, apiBaseUrl);
    }
}
