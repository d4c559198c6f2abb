// Signal names as runc accepts them: "TERM", "SIGTERM", "term", "15", "RTMIN+3".
#pragma once
#include <string>

namespace berth {

// Throws berth::Error("unknown signal \"FOO\"").
int parse_signal(const std::string& s);
std::string signal_name(int sig);

}  // namespace berth
