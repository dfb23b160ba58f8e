using Microsoft.Extensions.Options;
using Switchboard.Receiver.Storage;

namespace Switchboard.Receiver;

/// <summary>Turns every option problem into a start-up error listing all of them.</summary>
internal sealed class TelnyxWebhookOptionsValidator(IInboxStoreLocation location) : IValidateOptions<TelnyxWebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, TelnyxWebhookOptions options)
    {
        var problems = options.Validate().Concat(location.Validate(options)).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
