// Image -> runtime bundle, by the image-spec's conversion rules (conversion.md): the layers
// applied into BUNDLE/rootfs, and a config.json whose process comes from the image config
// (Entrypoint + Cmd, Env, WorkingDir, User resolved through the rootfs's /etc/passwd and
// /etc/group) and whose annotations carry ExposedPorts, StopSignal, Volumes, Labels.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "berth/image/store.hpp"

namespace berth::image {

// The config.json for an image whose rootfs is open at rootfd. args: a command replacing Cmd
// (empty: the image's). Throws when the user cannot be resolved or there is no command.
nlohmann::json runtime_config(const nlohmann::json& image_config, int rootfd, const std::vector<std::string>& args);

// Creates bundle_dir (must not exist or be empty) with rootfs/ and config.json. Removes
// what it made when it fails.
void unpack_bundle(const Store& store, const Image& img, const std::string& bundle_dir, const std::vector<std::string>& args);

}  // namespace berth::image
