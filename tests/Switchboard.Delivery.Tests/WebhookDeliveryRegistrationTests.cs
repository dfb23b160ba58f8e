using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Switchboard.Delivery.Http;
using Switchboard.Delivery.Outbox;
using Switchboard.DurableWork;
using Switchboard.Events;
using Switchboard.Signing;

namespace Switchboard.Delivery.Tests;

public sealed class WebhookDeliveryRegistrationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("switchboard-di-").FullName;
    private readonly Ed25519PrivateKey _key = Ed25519PrivateKey.Generate();

    public void Dispose()
    {
        _key.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Registers_a_sqlite_store_in_the_data_folder_the_outbox_the_real_sender_the_dispatcher_and_the_pruner()
    {
        var services = new ServiceCollection().AddWebhookDelivery(o =>
        {
            o.DataFolder = _folder;
            o.SigningKey = _key;
        });
        await using (var provider = services.BuildServiceProvider())
        {
            var outbox = provider.GetRequiredService<WebhookOutbox>();
            var published = await outbox.PublishAsync(OutboundWebhook.From(
                SampleEvents.Create(EventTypes.MessageSent, TimeProvider.System), [new WebhookTarget(new Uri("https://example.com/hooks"))]));

            Assert.True(published.Created);
            Assert.IsType<HttpWebhookSender>(provider.GetRequiredService<IWebhookSender>());
            var hosted = provider.GetServices<IHostedService>().ToList();
            Assert.Contains(hosted, h => h is DeliveryDispatcher);
            Assert.Contains(hosted, h => h is WorkPruner);
        }

        Assert.True(File.Exists(Path.Combine(_folder, "switchboard.db")));
    }

    [Fact]
    public void Bad_options_are_refused_when_registering()
    {
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddWebhookDelivery(o => o.DataFolder = _folder));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddWebhookDelivery(o =>
        {
            o.SigningKey = _key;
            o.Delivery.MaxConcurrency = 0;
        }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ServiceCollection().AddWebhookDelivery(o =>
        {
            o.SigningKey = _key;
            o.Http.Timeout = TimeSpan.Zero;
        }));
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddWebhookDelivery(o =>
        {
            o.SigningKey = _key;
            o.PostgresConnectionString = "no such keyword=1";
        }));
    }
}
