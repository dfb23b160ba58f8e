using IvrMenu;

await IvrApp.Create(args).RunAsync();
