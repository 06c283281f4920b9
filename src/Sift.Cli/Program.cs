using Sift.Cli;

return await SiftCli.RunAsync(args, Console.In, Console.Out, Console.Error);
