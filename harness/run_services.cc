// Run: the service (--service, or a recipe's), whose members the run places
// in namespaces after the electors' and starts with them.
#include <filesystem>
#include <stdexcept>

#include "harness/controller.h"
#include "harness/run.h"
#include "harness/sandbox.h"
#include "harness/spawn.h"

namespace schism::harness {

std::string ServiceOf(const RunConfig& config) {
  if (!config.service.empty()) return config.service;
  std::unique_ptr<Profile> profile = MakeProfile(config.profile);
  return profile ? std::string(profile->service()) : std::string();
}

void Run::PrepareService(const std::string& data_root) {
  const std::string text = ServiceOf(config_);
  if (text.empty()) return;
  const ServiceSpec spec = ParseService(text);  // RunTest checked it
  service_ = MakeServiceServer(spec.name);
  std::vector<std::string> missing;
  const NodeVars any = ClusterVars({NodeAddress(1)}, config_.port, "/", config_.seed)[0];
  if (FindExecutable(service_->ServerCommand(any, {any})[0]).empty()) {
    missing.push_back(service_->ServerCommand(any, {any})[0]);
  }
  for (const std::string& file : service_->RequiredFiles()) {
    if (!std::filesystem::exists(file)) missing.push_back(file);
  }
  if (!missing.empty()) {
    std::string names;
    for (const std::string& m : missing) names += (names.empty() ? "" : ", ") + m;
    throw std::runtime_error(
        "the " + spec.name + " service needs " + names + ", not installed (Debian packages: " +
        std::string(service_->packages()) + "; scripts/setup --servers installs them)");
  }
  service_vars_ = ServiceVars(spec, *service_, config_.nodes + 1, data_root, config_.seed);
  for (const NodeVars& v : service_vars_) {
    std::filesystem::create_directories(v.data_dir);
    service_->PrepareDataDir(v, service_vars_);
    members_.push_back(v.node);
  }
}

std::vector<std::vector<std::string>> Run::ServiceCommands() const {
  std::vector<std::vector<std::string>> argvs;
  for (const NodeVars& v : service_vars_) {
    argvs.push_back(service_->ServerCommand(v, service_vars_));
    argvs.back()[0] = FindExecutable(argvs.back()[0]).string();
  }
  return argvs;
}

std::vector<std::pair<std::string, std::string>> Run::ServiceEnvironment(std::size_t k) const {
  return service_->ServerEnvironment(service_vars_.at(k - names_.size()));
}

}  // namespace schism::harness
