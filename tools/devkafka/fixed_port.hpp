#pragma once
// Fixed listener ports for librdkafka's mock cluster, which binds each broker to 127.0.0.1 on a
// port the kernel picks and has no setting for it. A restarted jaring-devkafka must come back at
// the address every client was configured with, so this program interposes bind(): while ports
// are armed, each loopback bind to port 0 gets the next armed port (with SO_REUSEADDR, so that a
// restart does not wait for the old connections' TIME_WAIT). The executable exports the symbol
// (ENABLE_EXPORTS), which is what makes librdkafka's calls resolve to it.

namespace jaring::devkafka {

// The next loopback listener gets `first`, the one after it `first + 1`, and so on; 0 disarms.
void arm_listener_ports(int first);
// The port the next loopback listener takes (advancing the armed one), or 0 when none is armed.
int take_listener_port();

}  // namespace jaring::devkafka
