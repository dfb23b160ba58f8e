using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Switchboard.Web.Shared;

/// <summary>
/// Renders a page or a fragment (a Razor component with one <c>Model</c> parameter) to HTML on the server. Razor
/// encodes every value it writes, so text from a request or a payload shows as text, and <see cref="VisibleText"/> shows
/// the characters that would hide or reorder text escaped. The live channels
/// (<see cref="LiveUpdates"/>) render the same fragments the pages embed.
/// </summary>
internal sealed class PageRenderer(IServiceProvider services, ILoggerFactory loggers)
{
    public const string HtmlContentType = "text/html; charset=utf-8";

    public async Task<string> RenderAsync<TComponent>(object model) where TComponent : IComponent
    {
        await using var renderer = new HtmlRenderer(services, loggers);
        return await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<TComponent>(ParameterView.FromDictionary(new Dictionary<string, object?> { ["Model"] = model }));
            return VisibleText.InHtml(output.ToHtmlString());
        });
    }

    public async Task<IResult> PageAsync<TComponent>(object model, int status = StatusCodes.Status200OK) where TComponent : IComponent =>
        Results.Content(await RenderAsync<TComponent>(model), HtmlContentType, statusCode: status);
}
