#include "registry_cmds.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>
#include <memory>

#include "berth/image/auth_file.hpp"
#include "berth/image/digest.hpp"
#include "berth/image/reference.hpp"
#include "berth/image/store.hpp"
#include "berth/image/transports.hpp"
#include "berth/util/error.hpp"

namespace berth::build::cli {

namespace img = berth::image;

namespace {

struct RegistryFlags {
  bool insecure = false;
  std::string creds, authfile, cert_dir, certs_d, progress = "auto", format;
  int64_t chunk_size = 0;
  int parallel = 3;
};

void add_tls_auth_flags(CLI::App* c, RegistryFlags& f) {
  c->add_flag("--insecure", f.insecure, "allow plain HTTP and unverified TLS to the registry");
  c->add_option("--creds", f.creds, "USER[:PASSWORD] for the registry (instead of the auth files)");
  c->add_option("--authfile", f.authfile, "auth file (default: $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json)");
  c->add_option("--cert-dir", f.cert_dir, "the registry's CA certificates (*.crt) and client pair (*.cert, *.key)");
  c->add_option("--certs-d", f.certs_d, "DIR/HOST[:PORT]/*.crt as /etc/containers/certs.d (the default)");
}

img::Progress progress_of(const std::string& s) {
  if (s == "plain") return img::Progress::Plain;
  if (s == "tty") return img::Progress::Tty;
  if (s == "quiet") return img::Progress::Quiet;
  return img::Progress::Auto;
}

img::RegistryOptions options(const img::RegistryOptions& global, const RegistryFlags& f) {
  img::RegistryOptions o = global;
  o.insecure = f.insecure;
  if (!f.creds.empty()) {
    size_t c = f.creds.find(':');
    o.username = f.creds.substr(0, c);
    if (c != std::string::npos) o.password = f.creds.substr(c + 1);
    if (o.username.empty()) throw Error("--creds: empty user name");
  }
  o.auth_file = f.authfile;
  o.cert_dir = f.cert_dir;
  o.certs_d = f.certs_d;
  o.progress = progress_of(f.progress);
  o.format = f.format;
  o.chunk_size = f.chunk_size;
  o.parallel = f.parallel;
  return o;
}

// "https://h:5000/" -> "h:5000"; "index.docker.io" -> "docker.io"; a repository path stays.
std::string registry_key(std::string r) {
  for (const char* s : {"https://", "http://"}) {
    if (r.rfind(s, 0) == 0) r = r.substr(std::string(s).size());
  }
  while (!r.empty() && r.back() == '/') r.pop_back();
  if (r.empty()) throw Error("registry: empty name");
  std::string host = r.substr(0, r.find('/'));
  if (host == "index.docker.io" || host == "registry-1.docker.io") r = "docker.io" + r.substr(host.size());
  if (r.find_first_of("@ \t") != std::string::npos) throw Error("registry \"" + r + "\": want HOST[:PORT][/REPOSITORY]");
  if (r.find('/') != std::string::npos) {
    // A repository under the registry: it must parse as one, without tag.
    img::Reference ref = img::parse_reference(r);
    if (ref.name() != r) throw Error("registry \"" + r + "\": want HOST[:PORT][/REPOSITORY], no tag");
  }
  return r;
}

std::string read_line_noecho(const char* prompt, bool echo) {
  std::cerr << prompt << std::flush;
  termios old{};
  bool tty = ::tcgetattr(0, &old) == 0;
  if (tty && !echo) {
    termios t = old;
    t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(0, TCSAFLUSH, &t);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty && !echo) {
    ::tcsetattr(0, TCSAFLUSH, &old);
    std::cerr << "\n";
  }
  return line;
}

}  // namespace

void add_registry_commands(CLI::App& app, const std::string& root, std::function<int()>& action, img::RegistryOptions& global) {
  app.add_option("--registries-conf", global.registries_conf,
                 "registries.conf for mirrors, insecure and blocked registries (default: $CONTAINERS_REGISTRIES_CONF, "
                 "/etc/containers/registries.conf)");
  auto flags = std::make_shared<RegistryFlags>();
  auto names = std::make_shared<std::pair<std::string, std::string>>();
  auto progress_opt = [&](CLI::App* c) {
    c->add_option("--progress", flags->progress, "auto, plain, tty or quiet (on stderr)")->check(CLI::IsMember({"auto", "plain", "tty", "quiet"}));
  };

  auto* pull = app.add_subcommand("pull", "import an image: [docker://]REF from a registry, oci:DIR[:NAME], oci-archive:PATH[:NAME], docker-archive:PATH[:NAME]");
  add_tls_auth_flags(pull, *flags);
  progress_opt(pull);
  pull->add_option("--parallel", flags->parallel, "layers downloaded at once")->check(CLI::Range(1, 16))->capture_default_str();
  pull->add_option("source", names->first)->required();
  pull->add_option("name", names->second, "name in the store (default: the name inside)");
  pull->callback([&, flags, names] {
    action = [&, flags, names]() -> int {
      img::Store store(root);
      img::Image im;
      const std::string& src = names->first;
      if (img::is_transport_ref(src)) {
        im = img::pull(store, src, names->second);
      } else {
        auto ref = img::parse_reference(img::is_registry_ref(src) ? src.substr(9) : src);
        im = img::registry_pull(store, ref, options(global, *flags));
        if (!names->second.empty()) store.tag(names->second, im.manifest_desc);
      }
      std::cout << im.manifest_desc.digest << "\n";
      return 0;
    };
  });

  auto* push = app.add_subcommand("push", "export an image to docker://HOST[:PORT]/REPO[:TAG], oci:DIR[:NAME], oci-archive:PATH[:NAME], docker-archive:PATH[:NAME]");
  add_tls_auth_flags(push, *flags);
  progress_opt(push);
  push->add_option("--format", flags->format, "registry manifest media types: oci or docker (default: as stored)")->check(CLI::IsMember({"oci", "docker"}));
  push->add_option("--chunk-size", flags->chunk_size, "upload blobs in PATCH chunks of this many bytes (default: only blobs over 256MB, in 64MB chunks)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  push->add_option("image", names->first)->required();
  push->add_option("dest", names->second)->required();
  push->callback([&, flags, names] {
    action = [&, flags, names]() -> int {
      img::Store store(root);
      const std::string& name = names->first;
      auto d = store.find(name);
      if (!d) throw Error("image \"" + name + "\": not in the store " + store.root());
      auto im = store.load(*d);
      std::string n = name;
      try {
        n = img::normalize_ref(name);
      } catch (const Error&) {
      }
      if (img::valid_digest(name)) n.clear();
      if (img::is_registry_ref(names->second)) {
        img::registry_push(store, im, img::parse_reference(names->second.substr(9)), options(global, *flags));
      } else {
        img::push(store, im, names->second, n);
      }
      return 0;
    };
  });

  auto login_user = std::make_shared<std::string>();
  auto login_pass = std::make_shared<std::string>();
  auto pass_stdin = std::make_shared<bool>(false);
  auto* login = app.add_subcommand("login", "check credentials against a registry and keep them in the auth file");
  login->add_option("-u,--username", *login_user, "user name");
  login->add_option("-p,--password", *login_pass, "password (visible to other users: prefer --password-stdin)");
  login->add_flag("--password-stdin", *pass_stdin, "read the password from stdin");
  add_tls_auth_flags(login, *flags);
  login->add_option("registry", names->first, "HOST[:PORT][/REPOSITORY]")->required();
  login->callback([&, flags, names, login_user, login_pass, pass_stdin] {
    action = [&, flags, names, login_user, login_pass, pass_stdin]() -> int {
      if (!flags->creds.empty()) throw Error("login: use -u and --password-stdin, not --creds");
      std::string key = registry_key(names->first);
      std::string user = *login_user, pass = *login_pass;
      bool tty = ::isatty(0);
      if (*pass_stdin && !pass.empty()) throw Error("login: --password and --password-stdin both given");
      if (*pass_stdin && user.empty()) throw Error("login: --password-stdin needs -u USER");
      if (user.empty()) {
        if (!tty) throw Error("login: no user name: give -u USER");
        user = read_line_noecho("Username: ", true);
      }
      if (*pass_stdin) {
        std::string all((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
        while (!all.empty() && (all.back() == '\n' || all.back() == '\r')) all.pop_back();
        pass = all;
      } else if (pass.empty()) {
        if (!tty) throw Error("login: no password: give --password-stdin");
        pass = read_line_noecho("Password: ", false);
      }
      if (user.empty() || user.find(':') != std::string::npos) throw Error("login: the user name must be non-empty and without \":\"");
      if (pass.empty()) throw Error("login: empty password");
      img::RegistryOptions o = options(global, *flags);
      o.username = user;
      o.password = pass;
      img::registry_login_check(key, o);
      std::string file = img::auth_file_path(flags->authfile);
      img::store_credentials(file, key, {user, pass});
      std::cout << "Login Succeeded! (" << key << ", kept in " << file << ")\n";
      return 0;
    };
  });

  auto logout_all = std::make_shared<bool>(false);
  auto* logout = app.add_subcommand("logout", "forget a registry's credentials in the auth file");
  logout->add_option("--authfile", flags->authfile, "auth file (default: $REGISTRY_AUTH_FILE, ${XDG_RUNTIME_DIR}/containers/auth.json)");
  logout->add_flag("-a,--all", *logout_all, "every registry");
  logout->add_option("registry", names->first, "HOST[:PORT][/REPOSITORY]");
  logout->callback([&, flags, names, logout_all] {
    action = [&, flags, names, logout_all]() -> int {
      std::string file = img::auth_file_path(flags->authfile);
      if (*logout_all) {
        if (!names->first.empty()) throw Error("logout: --all takes no registry");
        img::remove_all_credentials(file);
        std::cout << "Removed every login from " << file << "\n";
        return 0;
      }
      if (names->first.empty()) throw Error("logout: name a registry (or --all)");
      std::string key = registry_key(names->first);
      if (!img::remove_credentials(file, key)) throw Error("logout: not logged in to " + key + " (no entry in " + file + ")");
      std::cout << "Removed login credentials for " << key << "\n";
      return 0;
    };
  });
}

}  // namespace berth::build::cli
