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

void Run::MakeService() {
  const std::string text = ServiceOf(config_);
  if (text.empty()) return;
  service_spec_ = ParseService(text);  // RunTest checked the text
  service_ = MakeServiceServer(service_spec_.name);
  CheckInstalled(*service_, "service");
}

void Run::PrepareService(const std::string& data_root) {
  if (!service_) return;
  service_vars_ =
      ServiceVars(service_spec_, *service_, config_.nodes + 1, data_root, config_.seed);
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
