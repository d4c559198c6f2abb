// Registry credentials as the containers tools and docker keep them: {"auths": {KEY:
// {"auth": base64("user:password")}}}, KEY a registry host ("127.0.0.1:5000", "docker.io") or
// a repository under it ("quay.io/team/app"), the most specific key winning.
//
// `berth-build login` writes the auth file: --authfile, else $REGISTRY_AUTH_FILE, else
// ${XDG_RUNTIME_DIR}/containers/auth.json, else /run/containers/UID/auth.json (as podman).
// Pulls and pushes read that file, then (unless a file was named) $XDG_CONFIG_HOME/containers/
// auth.json (~/.config/...), then docker's $DOCKER_CONFIG/config.json (~/.docker/config.json),
// where docker's legacy keys ("https://index.docker.io/v1/") are understood too.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace berth::image {

struct Credentials {
  std::string username, password;
};

// The file login/logout change (see above); EXPLICIT is --authfile.
std::string auth_file_path(const std::string& explicit_path);

// The files read for credentials, in order (only existing ones matter).
std::vector<std::string> auth_file_search_path(const std::string& explicit_path);

// Credentials for DOMAIN and repository PATH (may be empty), or nullopt. Throws berth::Error
// for an auth file that is not JSON or an entry that is not base64 "user:password".
std::optional<Credentials> find_credentials(const std::string& explicit_path, const std::string& domain, const std::string& path);

// Adds or replaces KEY in FILE (created 0600, its directory 0700), keeping everything else.
void store_credentials(const std::string& file, const std::string& key, const Credentials& c);

// Removes KEY from FILE; false when it was not there. ALL removes every entry.
bool remove_credentials(const std::string& file, const std::string& key);
void remove_all_credentials(const std::string& file);

std::string base64_encode(const std::string& in);
// Throws berth::Error for input that is not base64.
std::string base64_decode(const std::string& in);

}  // namespace berth::image
