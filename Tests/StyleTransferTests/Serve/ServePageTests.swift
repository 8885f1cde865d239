// ServePageTests: the page of `nst serve` in headless Chromium (WebDriver): upload a content and a style image, start, see the live image change, stop; and /?job=ID shows that job's image.
import Foundation
@testable import NSTImages
import StyleTransfer
import XCTest

final class ServePageTests: ScratchFolderTestCase {
    /// The whole job from the page. With NST_SERVE_SCREENSHOT=path the page during the run is
    /// saved there (README's picture: `NST_SERVE_SCREENSHOT=$PWD/docs/serve.png swift test --filter ServePageTests`).
    func testUploadStartWatchStopAndReopenAJob() throws {
        try Image.load(path: Self.example("shipwreck.jpg")).resized(longSide: 96).writePNG(to: path("content.png"))
        try Image.load(path: Self.example("starry_night.jpg")).resized(longSide: 96).writePNG(to: path("style.png"))
        let server = try ServeProcess(["--data", path("data"), "--device", "cpu"], in: folder)
        defer { server.stop() }
        try WebDriver.withSession { browser in
            try browser.navigate(to: server.url)
            try browser.sendKeys(element: try browser.findElement(css: "#content"), text: path("content.png"))
            try browser.sendKeys(element: try browser.findElement(css: "#style"), text: path("style.png"))
            for (id, value) in [("#size", "64"), ("#iterations", "500")] {
                let field = try browser.findElement(css: id)
                _ = try browser.executeScript("arguments[0].value = ''", args: [WebDriver.reference(element: field)])
                try browser.sendKeys(element: field, text: value)
            }
            try browser.click(element: try browser.findElement(css: "#start"))
            func state() throws -> String? { try browser.executeScript("return document.body.dataset.state") as? String }
            func shownIteration() throws -> Int? {
                (try browser.executeScript("return document.getElementById('live').dataset.iteration") as? String).flatMap(Int.init)
            }
            let started = try browser.waitUntil(timeout: 60) { try state() == "running" && shownIteration() != nil }
            let statusText = try browser.executeScript("return document.getElementById('status').textContent") as? String ?? ""
            XCTAssertTrue(started, "the run started and its image shows: \(statusText)")
            let first = try shownIteration() ?? -1
            XCTAssertTrue(try browser.waitUntil(timeout: 60) { (try shownIteration() ?? -1) > first }, "the live image changes")
            let id = try XCTUnwrap(try browser.executeScript("return document.body.dataset.job") as? String)
            XCTAssertEqual(id.count, 32)
            XCTAssertTrue(try browser.waitUntil(timeout: 30) {
                (try browser.executeScript("return document.getElementById('plot').innerHTML") as? String ?? "").contains("<svg")
            }, "the loss curve shows")
            if let target = ProcessInfo.processInfo.environment["NST_SERVE_SCREENSHOT"] {
                try browser.screenshot().write(to: URL(fileURLWithPath: target))
            }
            try browser.click(element: try browser.findElement(css: "#stop"))
            XCTAssertTrue(try browser.waitUntil(timeout: 60) { try state() == "stopped" }, "the job stopped")
            // The bar: the page at /?job=ID, opened afresh, shows that job's image.
            try browser.navigate(to: URL(string: "/?job=\(id)", relativeTo: server.url)!)
            XCTAssertTrue(try browser.waitUntil(timeout: 30) {
                let loaded = try browser.executeScript("const i = document.getElementById('live'); return i.complete ? i.naturalWidth : 0") as? Int
                let shown = try browser.executeScript("return document.body.dataset.job") as? String
                return (loaded ?? 0) == 64 && shown == id
            }, "/?job=ID shows the job's 64-pixel image")
            let listed = try browser.executeScript("return Array.from(document.querySelectorAll('#jobs li')).map(l => l.dataset.job)") as? [String]
            XCTAssertEqual(listed, [id])
        }
    }

    /// Images dropped on the form: the first becomes the content, the others the styles.
    func testDroppedImagesFillTheFields() throws {
        let server = try ServeProcess(["--data", path("data"), "--device", "cpu"], in: folder)
        defer { server.stop() }
        try WebDriver.withSession { browser in
            try browser.navigate(to: server.url)
            let names = try browser.executeScript("""
                const t = new DataTransfer();
                for (const n of ["c.png", "s1.png", "s2.jpg"]) t.items.add(new File([new Uint8Array([1])], n, { type: n.endsWith("png") ? "image/png" : "image/jpeg" }));
                document.getElementById("size").dispatchEvent(new DragEvent("drop", { dataTransfer: t, bubbles: true, cancelable: true }));
                return [document.getElementById("content").files[0].name, ...Array.from(document.getElementById("style").files).map(f => f.name)];
                """) as? [String]
            XCTAssertEqual(names, ["c.png", "s1.png", "s2.jpg"])
        }
    }

    /// A file of examples/ (the repository's own paintings).
    static func example(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/\(name)").path
    }
}
