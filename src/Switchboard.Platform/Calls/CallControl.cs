using System.Text.Json;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Platform.Api;
using Switchboard.Platform.Lifecycle;
using Switchboard.Platform.Numbers;
using Switchboard.Platform.Storage;
using Switchboard.Platform.Webhooks;

namespace Switchboard.Platform.Calls;

/// <summary>
/// Call Control: dialing out, ringing in (the emulator's inbound call), the commands an application sends to a call,
/// and its status. Every change of a call and the webhooks it causes is planned on a snapshot and committed as one batch (see <see cref="CallPlan"/>); what happens later
/// (the far end answering, a time limit, a speak ending) is a durable lifecycle step (see <see cref="CallLifecycle"/>).
/// </summary>
public sealed class CallControl(IWorkStore store, LifecycleSteps lifecycle, CallEvents events, CallLifecycle calls, PlatformOptions options, TimeProvider time)
{
    /// <summary>The commands the emulator carries out; any other answers 422.</summary>
    public static IReadOnlyList<string> SupportedActions { get; } =
        [
            "answer", "reject", "hangup", "record_start", "record_stop", "record_pause", "record_resume", "speak", "playback_start", "playback_stop",
            "gather", "gather_using_speak", "gather_using_audio", "gather_stop", "send_dtmf", "transfer", "bridge",
        ];

    public async Task<CallStatus> DialAsync(JsonBody body, CancellationToken cancellationToken = default)
    {
        var connectionId = body.String("connection_id", required: true, maxLength: 64);
        var from = E164.Required(body, "from");
        var to = E164.Required(body, "to");
        var clientState = ClientState(body);
        var commandId = body.String("command_id", maxLength: 255);
        var webhookUrl = WebhookUrls.Read(body, "webhook_url");
        var webhookFailoverUrl = WebhookUrls.Read(body, "webhook_failover_url");
        if (body.String("webhook_url_method", maxLength: 8) is { } method && method != "POST")
        {
            body.Add(ApiErrors.Invalid(body.Pointer("webhook_url_method"), "the emulator sends webhooks with POST only"));
        }

        var timeoutSecs = body.Int("timeout_secs", 1, 600) ?? 30;
        var timeLimitSecs = body.Int("time_limit_secs", 30, 14_400) ?? 14_400;
        var record = body.String("record", maxLength: 32);
        if (record is not (null or "record-from-answer"))
        {
            body.Add(ApiErrors.Invalid(body.Pointer("record"), "record must be record-from-answer"));
        }

        var recordFormat = OneOf(body, "record_format", ["wav", "mp3"]) ?? "mp3";
        var recordChannels = OneOf(body, "record_channels", ["single", "dual"]) ?? "dual";
        var callerIdName = body.String("from_display_name", maxLength: 128);
        var customHeaders = CustomHeaders(body);
        var machineDetection = MachineDetection(body);
        body.ThrowIfInvalid();

        var now = time.GetUtcNow();
        var call = new StoredCall
        {
            CallControlId = NewCallControlId(),
            CallLegId = PlatformIdentity.NewId(),
            CallSessionId = PlatformIdentity.NewId(),
            ConnectionId = connectionId!,
            From = from!,
            To = to!,
            Direction = StoredCall.Outgoing,
            State = CallStates.Bridging,
            ClientState = clientState,
            WebhookUrl = webhookUrl,
            WebhookFailoverUrl = webhookFailoverUrl,
            CallerIdName = callerIdName,
            CustomHeaders = customHeaders,
            StartTime = now,
            TimeoutSecs = timeoutSecs,
            TimeLimitSecs = timeLimitSecs,
            RecordFromAnswerFormat = record is null ? null : recordFormat,
            RecordFromAnswerChannels = record is null ? null : recordChannels,
            MachineDetection = machineDetection,
        };
        return await PlanAsync(async plan =>
        {
            // A repeated dial is the same call, nothing new; two racing dials with one command_id: the second one's
            // create is a conflict on the lookup, and planned again it finds the first's call.
            if (commandId is not null && await Resources.FindByLookupAsync(plan.Reader, ResourceKinds.Call, DialCommand(commandId)) is { } repeated)
            {
                return CallStatus.OfDial(Deserialize(repeated.Body), now);
            }

            var application = await CallControlApplications.FindAsync(plan.Reader, call.ConnectionId)
                ?? throw new ApiException(422, ApiErrors.NoSuchAssociated("/connection_id", "connection (Call Control application)", call.ConnectionId));
            if (!application.Active)
            {
                throw new ApiException(422, ApiErrors.Invalid("/connection_id", $"call control application '{application.Id}' is not active"));
            }

            var number = await PhoneNumbers.FindAsync(plan.Reader, call.From);
            if (number?.ConnectionId != application.Id)
            {
                throw new ApiException(422, ApiErrors.Invalid("/from", number is null
                    ? $"{call.From} is not a number of this account; order it onto the application (POST /v2/number_orders with connection_id)"
                    : $"{call.From} is not on call control application '{application.Id}'; set its connection_id (PATCH /v2/phone_numbers/{number.Id})"));
            }

            plan.Insert(call, commandId is null ? null : DialCommand(commandId));
            events.Initiated(plan.Batch, call, application);
            lifecycle.Schedule(plan.Batch, new LifecycleStep(CallLifecycle.Resource, call.CallControlId, CallLifecycle.FarEndActs), now + options.LifecycleDelay);
            return CallStatus.OfDial(call, now);
        }, cancellationToken);
    }

    /// <summary>
    /// An inbound call to one of the account's numbers on a Call Control application: <c>call.initiated</c> (direction
    /// <c>incoming</c>, state <c>parked</c>) to the application; it answers, rejects, or lets it ring out after
    /// <c>timeout_secs</c> (default 30).
    /// </summary>
    public async Task<CallStatus> RingAsync(JsonBody body, CancellationToken cancellationToken = default)
    {
        var from = E164.Required(body, "from");
        var to = E164.Required(body, "to");
        var timeoutSecs = body.Int("timeout_secs", 1, 600) ?? 30;
        var callerIdName = body.String("caller_id_name", maxLength: 128);
        var customHeaders = CustomHeaders(body);
        body.ThrowIfInvalid();
        var now = time.GetUtcNow();
        return await PlanAsync(async plan =>
        {
            var number = await PhoneNumbers.FindAsync(plan.Reader, to!) ?? throw new ApiException(422, ApiErrors.NoSuchAssociated("/to", "phone number", to!));
            var application = number.ConnectionId is { } connectionId ? await CallControlApplications.FindAsync(plan.Reader, connectionId) : null;
            if (application is null)
            {
                throw new ApiException(422, ApiErrors.Invalid("/to",
                    $"{to} is on no call control application; set its connection_id (PATCH /v2/phone_numbers/{number.Id}) so its calls have somewhere to go"));
            }

            var call = new StoredCall
            {
                CallControlId = NewCallControlId(),
                CallLegId = PlatformIdentity.NewId(),
                CallSessionId = PlatformIdentity.NewId(),
                ConnectionId = application.Id,
                From = from!,
                To = to!,
                Direction = StoredCall.Incoming,
                State = CallStates.Parked,
                CallerIdName = callerIdName ?? from,
                CustomHeaders = customHeaders,
                StartTime = now,
                TimeoutSecs = timeoutSecs,
            };
            plan.Insert(call, null);
            events.Initiated(plan.Batch, call, application);
            lifecycle.Schedule(plan.Batch, new LifecycleStep(CallLifecycle.Resource, call.CallControlId, CallLifecycle.RingOut), now + TimeSpan.FromSeconds(timeoutSecs));
            return CallStatus.Of(call, now);
        }, cancellationToken);
    }

    public async Task<CallStatus> GetStatusAsync(string callControlId, CancellationToken cancellationToken = default) =>
        await store.ReadAsync(async reader => await FindAsync(reader, callControlId) is { } call ? CallStatus.Of(call, time.GetUtcNow()) : null, cancellationToken)
        ?? throw ApiErrors.NotFound("call", callControlId);

    /// <summary><c>POST /calls/{call_control_id}/actions/{action}</c>.</summary>
    public async Task<CommandResult> CommandAsync(string callControlId, string action, JsonBody body, CancellationToken cancellationToken = default)
    {
        if (!SupportedActions.Contains(action))
        {
            throw new ApiException(422, new ApiError(ApiErrors.BadRequestCode, "Unsupported action",
                $"the Switchboard emulator does not support the call command '{ApiErrors.Printable(action)}'; it supports {string.Join(", ", SupportedActions)}"));
        }

        return await ExecuteAsync(callControlId, CallCommand.Read(action, body), cancellationToken);
    }

    /// <summary><c>PUT /calls/{call_control_id}/actions/client_state_update</c>: the <c>client_state</c> of every webhook after.</summary>
    public async Task<CommandResult> UpdateClientStateAsync(string callControlId, JsonBody body, CancellationToken cancellationToken = default)
    {
        if (!body.Has("client_state"))
        {
            body.Add(ApiErrors.Missing(body.Pointer("client_state")));
        }

        return await ExecuteAsync(callControlId, CallCommand.Read("client_state_update", body), cancellationToken);
    }

    private async Task<CommandResult> ExecuteAsync(string callControlId, CallCommand command, CancellationToken cancellationToken)
    {
        var action = command.Action;
        return await PlanAsync(async plan =>
        {
            var call = await plan.FindAsync(callControlId) ?? throw ApiErrors.NotFound("call", callControlId);
            var now = time.GetUtcNow();
            var seen = command.CommandId is { } commandId ? await CallCommandIds.ReadAsync(plan.Reader, call.CallControlId, commandId) : null;
            if (CallCommandIds.WithinWindow(seen, now))
            {
                return new CommandResult("ok"); // a repeated command_id: done already, nothing happens again
            }

            RequireAlive(call);
            var application = await CallControlApplications.FindAsync(plan.Reader, call.ConnectionId);
            if (command.ClientState is not null)
            {
                call.ClientState = command.ClientState;
            }

            await calls.CommandAsync(plan, call, application, command);
            if (command.CommandId is { } id)
            {
                CallCommandIds.Remember(plan.Batch, seen, call.CallControlId, id, action, now);
            }

            plan.Save(call);
            return new CommandResult("ok");
        }, cancellationToken);
    }

    /// <summary>
    /// <c>POST /_switchboard/calls/{call_control_id}/dtmf</c>: the far end presses <c>digits</c> (<c>0-9 * # A-D</c>), one
    /// <c>call.dtmf.received</c> each, in order, feeding the call's gather.
    /// </summary>
    public async Task<CommandResult> PressAsync(string callControlId, JsonBody body, CancellationToken cancellationToken = default)
    {
        var digits = body.String("digits", required: true, maxLength: MaxPressedDigits);
        if (digits is not null && (digits.Length == 0 || !digits.All(IsDtmfKey)))
        {
            body.Add(ApiErrors.Invalid(body.Pointer("digits"), $"digits must be keys of a phone's keypad (0-9, *, #, A-D); got '{ApiErrors.Printable(digits)}'"));
        }

        body.ThrowIfInvalid();
        return await FarEndAsync(callControlId, (plan, call, application) =>
        {
            calls.Press(plan, call, application, digits!);
            return ValueTask.CompletedTask;
        }, cancellationToken);
    }

    /// <summary><c>POST /_switchboard/calls/{call_control_id}/hangup</c>: the far end hangs up (the caller of an inbound call, the callee of an outbound one).</summary>
    public Task<CommandResult> FarEndHangupAsync(string callControlId, CancellationToken cancellationToken = default) =>
        FarEndAsync(callControlId, calls.FarEndHangupAsync, cancellationToken);

    /// <summary>The longest <c>digits</c> one far-end request presses (a gather takes at most 128).</summary>
    public const int MaxPressedDigits = 128;

    public static bool IsDtmfKey(char key) => key is (>= '0' and <= '9') or '*' or '#' or (>= 'A' and <= 'D');

    private Task<CommandResult> FarEndAsync(
        string callControlId, Func<CallPlan, StoredCall, CallControlApplicationResource?, ValueTask> act, CancellationToken cancellationToken) =>
        PlanAsync(async plan =>
        {
            var call = await plan.FindAsync(callControlId) ?? throw ApiErrors.NotFound("call", callControlId);
            RequireAlive(call);
            await act(plan, call, await CallControlApplications.FindAsync(plan.Reader, call.ConnectionId));
            plan.Save(call);
            return new CommandResult("ok");
        }, cancellationToken);

    /// <summary>
    /// Plans a change of calls on a snapshot and commits it with the webhooks and steps it causes; if a call it read
    /// changed meanwhile, <paramref name="plan"/> runs again from the start on a new snapshot.
    /// </summary>
    private Task<T> PlanAsync<T>(Func<CallPlan, ValueTask<T>> plan, CancellationToken cancellationToken) =>
        Resources.PlanAsync(store, async (reader, batch) =>
        {
            var calls = new CallPlan(reader, batch, time.GetUtcNow());
            var result = await plan(calls);
            calls.AddChangedCalls();
            return result;
        }, cancellationToken);

    /// <summary>Telnyx answers every action on an ended call with 422 "Call has already ended" (90018).</summary>
    internal static void RequireAlive(StoredCall call)
    {
        if (!call.IsAlive)
        {
            throw new ApiException(422, new ApiError(CallErrors.CallEndedCode, "Call has already ended",
                $"call {ApiErrors.Printable(call.CallControlId)} ended at {call.EndedAt?.UtcDateTime.ToString(Events.UtcMillisecondsConverter.Format, System.Globalization.CultureInfo.InvariantCulture)} ({call.HangupCause}); no command can act on it"));
        }
    }

    internal static async ValueTask<StoredCall?> FindAsync(IWorkReader reader, string callControlId) =>
        await Resources.GetAsync(reader, ResourceKinds.Call, callControlId) is { } stored ? Deserialize(stored.Body) : null;

    internal static string Serialize(StoredCall call) => JsonSerializer.Serialize(call, PlatformJson.Default.StoredCall);

    internal static StoredCall Deserialize(string json) => JsonSerializer.Deserialize(json, PlatformJson.Default.StoredCall) ?? throw new InvalidDataException("a stored call is empty");

    private static string DialCommand(string commandId) => $"dial:{commandId}";

    /// <summary>Telnyx's call control ids are opaque strings (<c>v3:...</c>).</summary>
    internal static string NewCallControlId() => "v3:" + Convert.ToBase64String(Guid.NewGuid().ToByteArray()).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal static string? ClientState(JsonBody body, string name = "client_state")
    {
        var state = body.String(name, maxLength: 4096);
        if (state is not null && !IsBase64(state))
        {
            body.Add(ApiErrors.Invalid(body.Pointer(name), $"{name} must be base64 (it comes back untouched on the webhooks that follow)"));
            return null;
        }

        return state;
    }

    internal static string? OneOf(JsonBody body, string name, string[] allowed)
    {
        var value = body.String(name, maxLength: 32);
        if (value is not null && !allowed.Contains(value))
        {
            body.Add(ApiErrors.Invalid(body.Pointer(name), $"{name} must be one of {string.Join(", ", allowed)}; got '{ApiErrors.Printable(value)}'"));
            return null;
        }

        return value;
    }

    /// <summary>Standard detection only: premium sends its own events (<c>call.machine.premium.*</c>), which the emulator does not.</summary>
    internal static string? MachineDetection(JsonBody body) =>
        OneOf(body, "answering_machine_detection", ["detect", "detect_beep", "detect_words", "greeting_end", "disabled"]) is { } mode and not "disabled" ? mode : null;

    private static IList<CallCustomHeader> CustomHeaders(JsonBody body) =>
        [.. (body.Objects("custom_headers", 20) ?? []).Select(h => new CallCustomHeader { Name = h.String("name", required: true, maxLength: 128), Value = h.String("value", required: true, maxLength: 1024) })];

    private static bool IsBase64(string text)
    {
        Span<byte> buffer = stackalloc byte[text.Length];
        return Convert.TryFromBase64String(text, buffer, out _);
    }
}

/// <summary>Call Control's own error codes.</summary>
public static class CallErrors
{
    /// <summary>Telnyx's "Call has already ended": a command sent to a call that hung up.</summary>
    public const string CallEndedCode = "90018";

    /// <summary>A command the call's state does not allow (answering a call that is not ringing, stopping no recording).</summary>
    public static ApiException NotNow(string detail) => new(422, new ApiError(ApiErrors.BadRequestCode, "Invalid call state", detail));
}

/// <summary>A command as read from its request: checked once, before the plan that carries it out (which may run again).</summary>
public sealed record CallCommand(string Action, string? ClientState, string? CommandId)
{
    public string? RejectCause { get; init; }
    public string? Format { get; init; }
    public string? Channels { get; init; }
    public string? Payload { get; init; }
    public string? MediaUrl { get; init; }
    public string? MediaName { get; init; }
    public bool? Overlay { get; init; }
    public ActiveGather? Gather { get; init; }

    /// <summary><c>send_dtmf</c>'s digits.</summary>
    public string? Digits { get; init; }

    /// <summary><c>bridge</c>'s other call.</summary>
    public string? OtherCallControlId { get; init; }
    public TransferRequest? Transfer { get; init; }

    public static CallCommand Read(string action, JsonBody body)
    {
        var command = new CallCommand(action, CallControl.ClientState(body), body.String("command_id", maxLength: 255));
        command = action switch
        {
            "reject" => command with
            {
                RejectCause = body.String("cause", required: true, maxLength: 32) is { } cause
                    ? cause switch
                    {
                        "CALL_REJECTED" => HangupCauses.CallRejected,
                        "USER_BUSY" => HangupCauses.UserBusy,
                        _ => Bad(body, "cause", "cause must be CALL_REJECTED or USER_BUSY"),
                    }
                    : null,
            },
            "record_start" => command with
            {
                Format = CallControl.OneOf(body, "format", ["wav", "mp3"]) ?? Required(body, "format"),
                Channels = CallControl.OneOf(body, "channels", ["single", "dual"]) ?? Required(body, "channels"),
            },
            "speak" => command with { Payload = body.String("payload", required: true, maxLength: 3000) },
            "playback_start" => command with
            {
                MediaUrl = WebhookUrls.Read(body, "audio_url"),
                MediaName = body.String("media_name", maxLength: 255),
                Overlay = body.Bool("overlay"),
            },
            "gather" or "gather_using_speak" or "gather_using_audio" => command with
            {
                Gather = ReadGather(action, body),
                Payload = action == "gather_using_speak" ? body.String("payload", required: true, maxLength: 3000) : null,
            },
            "send_dtmf" => command with { Digits = ReadSentDigits(body) },
            "bridge" => command with { OtherCallControlId = body.String("call_control_id", required: true, maxLength: 128) },
            "transfer" => command with { Transfer = TransferRequest.Read(body) },
            _ => command,
        };
        if (action == "playback_start" && command.MediaUrl is null && command.MediaName is null && body.Errors.Count == 0)
        {
            body.Add(ApiError.At(body.Pointer("audio_url"), ApiErrors.MissingParameterCode, "Missing required parameter", "audio_url or media_name is required"));
        }

        body.ThrowIfInvalid();
        return command;
    }

    private static ActiveGather ReadGather(string action, JsonBody body)
    {
        var gather = new ActiveGather
        {
            Kind = action switch { "gather" => "gather", "gather_using_speak" => "speak", _ => "audio" },
            MinimumDigits = body.Int("minimum_digits", 1, 128) ?? 1,
            MaximumDigits = body.Int("maximum_digits", 1, 128) ?? 128,
            TerminatingDigit = Keys(body, "terminating_digit", 1) ?? "#",
            ValidDigits = Keys(body, "valid_digits", 16) ?? "0123456789#*",
            TimeoutMillis = body.Int("timeout_millis", 1, 3_600_000) ?? 60_000,
            InterDigitTimeoutMillis = body.Int("inter_digit_timeout_millis", 1, 3_600_000) ?? 5_000,
            InitialTimeoutMillis = action == "gather" ? body.Int("initial_timeout_millis", 1, 3_600_000) ?? 5_000 : 0,
            MaximumTries = action == "gather" ? 1 : body.Int("maximum_tries", 1, 10) ?? 3,
        };
        if (gather.MinimumDigits > gather.MaximumDigits && body.Errors.Count == 0)
        {
            body.Add(ApiErrors.Invalid(body.Pointer("minimum_digits"),
                $"minimum_digits ({gather.MinimumDigits}) must not be greater than maximum_digits ({gather.MaximumDigits})"));
        }

        if (action == "gather")
        {
            body.String("gather_id", maxLength: 40);
        }
        else if (action == "gather_using_speak")
        {
            body.String("voice", required: true, maxLength: 128); // required by Telnyx: an app that leaves it out must fail here too
            body.String("invalid_payload", maxLength: 3000);
        }
        else
        {
            gather.AudioUrl = WebhookUrls.Read(body, "audio_url");
            gather.MediaName = body.String("media_name", maxLength: 255);
            gather.InvalidAudioUrl = WebhookUrls.Read(body, "invalid_audio_url");
            gather.InvalidMediaName = body.String("invalid_media_name", maxLength: 255);
            if ((gather.AudioUrl is null) == (gather.MediaName is null) && body.Errors.Count == 0)
            {
                body.Add(ApiError.At(body.Pointer("audio_url"), ApiErrors.MissingParameterCode, "Missing required parameter", "exactly one of audio_url and media_name is required"));
            }
        }

        return gather;
    }

    /// <summary>A string of keypad keys (<c>0-9 * # A-D</c>), at most <paramref name="maxLength"/> long.</summary>
    private static string? Keys(JsonBody body, string name, int maxLength)
    {
        var keys = body.String(name, maxLength: maxLength);
        return keys is not null && (keys.Length == 0 || !keys.All(CallControl.IsDtmfKey))
            ? Bad(body, name, $"{name} must be keypad keys (0-9, *, #, A-D); got '{ApiErrors.Printable(keys)}'")
            : keys;
    }

    /// <summary><c>send_dtmf</c>: keys, and <c>w</c> (half a second's pause) and <c>W</c> (a second's).</summary>
    private static string? ReadSentDigits(JsonBody body)
    {
        body.Int("duration_millis", 100, 500);
        var digits = body.String("digits", required: true, maxLength: 256);
        return digits is not null && (digits.Length == 0 || !digits.All(d => CallControl.IsDtmfKey(d) || d is 'w' or 'W'))
            ? Bad(body, "digits", $"digits must be 0-9, A-D, *, # and the pauses w and W; got '{ApiErrors.Printable(digits)}'")
            : digits;
    }

    private static string? Bad(JsonBody body, string name, string detail)
    {
        body.Add(ApiErrors.Invalid(body.Pointer(name), detail));
        return null;
    }

    private static string? Required(JsonBody body, string name)
    {
        if (!body.Has(name))
        {
            body.Add(ApiErrors.Missing(body.Pointer(name)));
        }

        return null;
    }
}

/// <summary><c>transfer</c>'s new leg: where it goes and how it is dialled.</summary>
public sealed record TransferRequest(string To, string? From)
{
    public int TimeoutSecs { get; init; } = 30;
    public int TimeLimitSecs { get; init; } = 14_400;
    public string? MachineDetection { get; init; }
    public string? TargetLegClientState { get; init; }
    public string? WebhookUrl { get; init; }
    public string? WebhookFailoverUrl { get; init; }
    public string? CallerIdName { get; init; }

    public static TransferRequest? Read(JsonBody body)
    {
        var to = E164.Required(body, "to");
        var from = body.Has("from") ? E164.Required(body, "from") : null;
        var request = new TransferRequest(to ?? "", from)
        {
            TimeoutSecs = body.Int("timeout_secs", 1, 600) ?? 30,
            TimeLimitSecs = body.Int("time_limit_secs", 30, 14_400) ?? 14_400,
            MachineDetection = CallControl.MachineDetection(body),
            WebhookUrl = WebhookUrls.Read(body, "webhook_url"),
            WebhookFailoverUrl = WebhookUrls.Read(body, "webhook_failover_url"),
            CallerIdName = body.String("from_display_name", maxLength: 128),
        };
        request = request with { TargetLegClientState = CallControl.ClientState(body, "target_leg_client_state") };
        return to is null ? null : request;
    }
}
