using MessageStatusTracker;

await TrackerApp.Create(args).RunAsync();
