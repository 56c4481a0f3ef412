// redis-server as a service, and the redis-lock recipe that runs against it.
#include <string>
#include <vector>

#include "harness/profiles/profile.h"
#include "harness/profiles/service.h"

namespace schism::harness {
namespace {

constexpr std::uint16_t kRedisPort = 6379;

class RedisServer final : public Server {
 public:
  std::string_view name() const override { return "redis"; }
  std::string_view summary() const override {
    return "redis-server 7 (port 6379), the first member a primary and the others its "
           "replicas, each with an append-only file fsynced at every write";
  }
  std::string_view packages() const override { return "redis-server"; }
  std::vector<std::string> ServerCommand(const NodeVars& node,
                                         const std::vector<NodeVars>& all) const override {
    // The append-only file keeps the lock and the fencing counter across a
    // kill: a token never goes back because redis restarted.
    // clang-format off
    std::vector<std::string> argv = {"redis-server",
        "--bind", node.addr,               "--port", std::to_string(kRedisPort),
        "--protected-mode", "no",          "--dir", node.data_dir,
        "--save", "",                      "--appendonly", "yes",
        "--appendfsync", "always",         "--daemonize", "no",
        "--logfile", "",                   "--loglevel", "warning"};
    // clang-format on
    if (node.index > 1) {  // the first member is the primary, the others its replicas
      argv.insert(argv.end(), {"--replicaof", all.front().addr, std::to_string(kRedisPort)});
    }
    return argv;
  }
  std::uint16_t client_port() const override { return kRedisPort; }
};

class RedisLockProfile final : public Profile {
 public:
  std::string_view name() const override { return "redis-lock"; }
  std::string_view summary() const override {
    return "recipe: clients contend for a lock on redis-server (SET NX PX, INCR fencing "
           "tokens); a holder paused past its TTL overlaps (docs/recipes.md)";
  }
  std::string_view packages() const override { return "redis-server"; }
  std::vector<std::string> ServerCommand(const NodeVars& node,
                                         const std::vector<NodeVars>& /*all*/) const override {
    return {"schism-node", "redis-lock", "--id",      node.node,
            "--redis",     node.service, "--ttl-ms",  std::to_string(kTtlMs),
            "--work-ms",   "100",        "--poll-ms", "100"};
  }
  double partition_grace_s() const override { return 1.5; }
  std::string_view service() const override { return "redis"; }
  std::vector<std::string> checkers() const override { return ClientRecipeCheckers(); }

 private:
  static constexpr int kTtlMs = 1000;
};

}  // namespace

std::unique_ptr<Server> MakeRedisServer() { return std::make_unique<RedisServer>(); }
std::unique_ptr<Profile> MakeRedisLockProfile() { return std::make_unique<RedisLockProfile>(); }

}  // namespace schism::harness
