import Platform

let usage = """
    edge-inspect: visual anomaly detection on the edge

    Usage:
      edge-inspect score --model MODEL [options] IMAGE...   score images, write heatmaps
      edge-inspect calibrate --model MODEL --out OUT GOOD_IMAGE...
                                                            set the threshold from good parts only
      edge-inspect info MODEL                               describe a model file
      edge-inspect bench --model MODEL [--size HxW]         time a model on this machine
      edge-inspect watch --config FILE [--KEY VALUE]...     inspect camera frames continuously (daemon)
      edge-inspect cameras [DEVICE]                         list cameras, or one camera's formats
      edge-inspect help [COMMAND]                           this text, or a command's help

    Every command accepts --help. Exit codes: 0 all good, 1 an anomaly was found, 2 error.
    """

let args = Process.arguments
let command = args.count > 1 ? args[1] : "help"
let rest = args.dropFirst(2)
let code: Int32
switch command {
case "score":
    code = ScoreCommand.run(rest)
case "calibrate":
    code = CalibrateCommand.run(rest)
case "info":
    code = InfoCommand.run(rest)
case "bench":
    code = BenchCommand.run(rest)
case "watch":
    code = WatchCommand.run(rest)
case "cameras":
    code = CamerasCommand.run(rest)
case "help", "--help", "-h":
    switch rest.first {
    case "score": Console.out(ScoreCommand.help); code = ExitCode.ok
    case "info": Console.out(InfoCommand.help); code = ExitCode.ok
    case "calibrate": Console.out(CalibrateCommand.help); code = ExitCode.ok
    case "bench": Console.out(BenchCommand.help); code = ExitCode.ok
    case "watch": Console.out(WatchCommand.help); code = ExitCode.ok
    case "cameras": Console.out(CamerasCommand.help); code = ExitCode.ok
    default: Console.out(usage); code = ExitCode.ok
    }
default:
    Console.err("edge-inspect: unknown command '\(command)'\n\n\(usage)")
    code = ExitCode.error
}
Process.exit(code)
