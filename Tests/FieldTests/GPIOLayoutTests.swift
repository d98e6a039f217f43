import Alerts
import CGPIO
import XCTest

/// The uAPI v2 structures are ABI: the kernel checks the ioctl number, which encodes the size.
/// These are the sizes and numbers of Linux's include/uapi/linux/gpio.h, for every architecture.
final class GPIOLayoutTests: XCTestCase {
    func testStructSizesMatchTheKernelABI() {
        XCTAssertEqual(MemoryLayout<gpio_v2_line_attribute>.size, 16)
        XCTAssertEqual(MemoryLayout<gpio_v2_line_config_attribute>.size, 24)
        XCTAssertEqual(MemoryLayout<gpio_v2_line_config>.size, 272)
        XCTAssertEqual(MemoryLayout<gpio_v2_line_request>.size, 592)
        XCTAssertEqual(MemoryLayout<gpio_v2_line_values>.size, 16)
        XCTAssertEqual(MemoryLayout<gpio_v2_line_info>.size, 256)
        XCTAssertEqual(MemoryLayout<gpio_v2_line_event>.size, 48)
        XCTAssertEqual(MemoryLayout<gpiochip_info>.size, 68)
    }

    func testIoctlNumbersMatchTheKernelABI() {
        XCTAssertEqual(ei_gpio_ioctl_get_line(), 0xC250_B407)
        XCTAssertEqual(ei_gpio_ioctl_set_values(), 0xC010_B40F)
        XCTAssertEqual(ei_gpio_ioctl_get_lineinfo(), 0xC100_B405)
    }

    func testFieldOffsetsTheShimWrites() {
        XCTAssertEqual(MemoryLayout<gpio_v2_line_request>.offset(of: \.consumer), 256)
        XCTAssertEqual(MemoryLayout<gpio_v2_line_request>.offset(of: \.config), 288)
        XCTAssertEqual(MemoryLayout<gpio_v2_line_request>.offset(of: \.num_lines), 560)
        XCTAssertEqual(MemoryLayout<gpio_v2_line_request>.offset(of: \.fd), 588)
    }

    func testLineSpecs() {
        XCTAssertEqual(GPIOLineSpec.parse("gpiochip0:17"), .chip(path: "/dev/gpiochip0", offset: 17))
        XCTAssertEqual(GPIOLineSpec.parse("/dev/gpiochip2:0"), .chip(path: "/dev/gpiochip2", offset: 0))
        XCTAssertEqual(GPIOLineSpec.parse("REJECT"), .name("REJECT"))
        XCTAssertEqual(GPIOLineSpec.parse("name:PLC:1"), .name("PLC:1"))
        XCTAssertNil(GPIOLineSpec.parse("gpiochip0:"))
        XCTAssertNil(GPIOLineSpec.parse(":3"))
        XCTAssertNil(GPIOLineSpec.parse(""))
    }

    func testMissingChipIsAClearError() {
        do {
            _ = try GPIOLine(output: .chip(path: "/dev/gpiochip-none", offset: 1), role: "reject", activeLow: false)
            XCTFail("opened a chip that does not exist")
        } catch {
            XCTAssertEqual(error.message, "cannot open GPIO chip '/dev/gpiochip-none' for the reject line: No such file or directory")
        }
    }
}
