using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.DurableWork;
using Switchboard.Platform.Api;

namespace Switchboard.Platform.Tests;

/// <summary>How the API answers a request whose write could not be applied.</summary>
public sealed class ApiErrorFilterTests
{
    [Fact]
    public async Task A_request_whose_plan_kept_conflicting_answers_503_with_Retry_After_in_Telnyxs_error_shape_not_a_500()
    {
        var http = new DefaultHttpContext();
        EndpointFilterDelegate contended = _ => throw new WorkPlanConflictException("what the plan read kept changing (5 plans; last: phone_number x)");

        var result = await new ApiErrorFilter().InvokeAsync(new DefaultEndpointFilterInvocationContext(http), contended);

        var error = Assert.IsType<JsonHttpResult<ApiErrorsBody>>(result);
        Assert.Equal(503, error.StatusCode);
        Assert.Equal(ApiErrors.UnexpectedErrorCode, Assert.Single(error.Value!.Errors).Code);
        Assert.Equal(ApiErrors.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), http.Response.Headers.RetryAfter.ToString());
    }
}
