// Test helper for the MP3 and playout tests: records a 440 Hz tone to a crash-safe MP3 in (roughly) real
// time, printing "written <frames> durable <frames>" after each block, until killed or done.
//
//     recorder-crash-probe <output.mp3> [seconds=60] [sampleRate=44100] [speed=1]
//     recorder-crash-probe live <folder> <base> [seconds=60] [sampleRate=44100] [speed=1]
//     recorder-crash-probe asrun <log.jsonl> <events>
//
// `live` runs a LiveRecorder fed through its ring by a producer thread (the render thread's
// part), printing "fed <frames> written <frames> durable <frames> file <path>" every 100 ms.
// `asrun` pushes <events> events from a producer thread through the as-run queue, waits until
// the writer thread has written them, prints "logged <events>" and then waits to be killed.
import Foundation
import MP3

let args = CommandLine.arguments
if args.count >= 2 && args[1] == "live" { runLive(Array(args.dropFirst(2))) }
if args.count >= 2 && args[1] == "asrun" { runAsRun(Array(args.dropFirst(2))) }
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: recorder-crash-probe OUT.mp3 [seconds] [rate] [speed]\n".utf8))
    exit(2)
}
let seconds = args.count > 2 ? Double(args[2]) ?? 60 : 60
let rate = args.count > 3 ? Int(args[3]) ?? 44100 : 44100
let speed = args.count > 4 ? Double(args[4]) ?? 1 : 1

var tag = ID3v2Tag()
tag.title = "Crash probe"
let writer: MP3FileWriter
do {
    writer = try MP3FileWriter(url: URL(fileURLWithPath: args[1]), mode: .crashSafe(syncInterval: 2),
                               sampleRate: rate, tag: tag)
} catch {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(1)
}

let block = rate / 10 // 100 ms
var left = [Float](repeating: 0, count: block)
var right = [Float](repeating: 0, count: block)
let total = Int64(seconds * Double(rate))
var phase = 0.0
while writer.framesWritten < total {
    for i in 0..<block {
        left[i] = Float(0.5 * sin(phase))
        right[i] = left[i]
        phase += 2 * .pi * 440 / Double(rate)
    }
    try left.withUnsafeBufferPointer { l in
        try right.withUnsafeBufferPointer { r in
            try writer.write(left: l.baseAddress!, right: r.baseAddress!, frames: block)
        }
    }
    // Unbuffered, so the test reading the pipe sees each line at once.
    FileHandle.standardOutput.write(Data("written \(writer.framesWritten) durable \(writer.framesDurable)\n".utf8))
    usleep(useconds_t(100_000 / speed))
}
try writer.finish()
FileHandle.standardOutput.write(Data("finished \(writer.framesWritten)\n".utf8))
