using Microsoft.Extensions.Options;

namespace Switchboard.Receiver;

/// <summary>Turns every option problem into a start-up error listing all of them.</summary>
internal sealed class TelnyxWebhookOptionsValidator : IValidateOptions<TelnyxWebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, TelnyxWebhookOptions options)
    {
        var problems = options.Validate().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
