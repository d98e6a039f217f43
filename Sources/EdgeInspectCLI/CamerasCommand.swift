import Camera
import Platform

/// `edge-inspect cameras [DEVICE]`: what V4L2 devices there are, and what one can deliver.
enum CamerasCommand {
    static let help = """
        edge-inspect cameras: list V4L2 video devices, or describe one

        Usage: edge-inspect cameras                list /dev/video* with driver and card name
               edge-inspect cameras DEVICE         formats, sizes, frame rates and controls of DEVICE
                                                   (/dev/videoN or name:<part of the card name>)

        Formats marked "converted by libv4l" are produced from the camera's own format; the watch
        command always asks for gray or RGB (what the model takes) and libv4l converts.
        """

    static func run(_ args: ArraySlice<String>) -> Int32 {
        if args.contains("--help") { Console.out(help); return ExitCode.ok }
        guard let device = args.first else {
            let all = CameraListing.all()
            if all.isEmpty { Console.out("no V4L2 devices (/dev/video*) found") }
            for c in all {
                Console.out("\(c.path)  \(c.driver)  '\(c.card)'  \(c.busInfo)\(c.canCapture ? "" : "  (not a capture device)")")
            }
            return ExitCode.ok
        }
        do {
            let path = try V4L2Camera.resolve(device)
            Console.out(path)
            for line in try CameraCapabilities.describe(path: path) { Console.out(line) }
            return ExitCode.ok
        } catch {
            Console.err("edge-inspect cameras: \(error.message)")
            return ExitCode.error
        }
    }
}
