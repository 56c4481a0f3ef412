#include "harness/prober.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include <boost/asio.hpp>
#include <boost/process/v2.hpp>

namespace schism::harness {
namespace asio = boost::asio;
namespace bp = boost::process::v2;

struct Prober::Exec {
  explicit Exec(asio::io_context& io) : out(io), deadline(io) {}
  asio::readable_pipe out;
  asio::steady_timer deadline;
  std::unique_ptr<bp::process> process;
  std::array<char, 8192> chunk{};
  std::string output;
  bool overflow = false;  // printed more than kMaxOutput
  bool drained = false;
  bool exited = false;
  bool abandoned = false;  // timed out or stopped: its answer is dropped
  int exit_code = 0;
  double sent = 0;
};

struct Prober::Node {
  Node(asio::io_context& io, ProbeTarget t) : target(std::move(t)), next(io) {}
  ~Node() {
    if (log_fd >= 0) close(log_fd);
  }
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
  ProbeTarget target;
  std::vector<std::string> environment;
  int log_fd = -1;  // owned
  asio::steady_timer next;
  std::shared_ptr<Exec> current;
  Counts counts;
};

Prober::Prober(asio::io_context& io, const Timers& timers, std::vector<ProbeTarget> targets,
               std::chrono::milliseconds every, std::chrono::milliseconds timeout,
               ProbeReader& reader, SeenHandler on_seen, FailedHandler on_failed)
    : io_(io),
      timers_(timers),
      every_(every),
      timeout_(timeout),
      reader_(reader),
      on_seen_(std::move(on_seen)),
      on_failed_(std::move(on_failed)) {
  for (ProbeTarget& target : targets) {
    auto node = std::make_unique<Node>(io_, std::move(target));
    node->environment = ChildEnvironment(node->target.env);
    node->log_fd = open(node->target.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (node->log_fd < 0) {
      const int error = errno;
      throw std::system_error(error, std::generic_category(), "open " + node->target.log.string());
    }
    nodes_.push_back(std::move(node));
  }
}

Prober::~Prober() { Stop(); }

const Prober::Counts& Prober::counts(std::size_t k) const { return nodes_[k]->counts; }

void Prober::Start() {
  const std::size_t n = nodes_.size();
  for (std::size_t k = 0; k < n; ++k) {
    nodes_[k]->next.expires_after(every_ * static_cast<long>(k) / static_cast<long>(n));
    nodes_[k]->next.async_wait([this, k](boost::system::error_code ec) {
      if (!ec) Send(k);
    });
  }
}

void Prober::Stop() {
  stopped_ = true;
  for (auto& node : nodes_) {
    node->next.cancel();
    if (!node->current) continue;
    node->current->abandoned = true;
    node->current->deadline.cancel();
    KillExec(node->current);
    node->current.reset();
  }
}

void Prober::KillExec(const std::shared_ptr<Exec>& exec) {
  if (exec->exited || !exec->process) return;
  kill(-exec->process->id(), SIGKILL);
  boost::system::error_code ignored;
  exec->process->wait(ignored);  // reaps; the async wait then completes with an error
  exec->exited = true;
}

void Prober::Send(std::size_t k) {
  if (stopped_) return;
  Node& node = *nodes_[k];
  auto exec = std::make_shared<Exec>(io_);
  exec->sent = timers_.Now();
  ++node.counts.sent;
  try {
    exec->process = std::make_unique<bp::process>(
        SpawnChild(io_, node.target.argv, node.environment, exec->out, node.log_fd,
                   node.target.setup));
  } catch (const std::exception& e) {
    ++node.counts.failed;
    on_failed_(k, std::string("cannot start the probe: ") + e.what(), false, exec->sent);
    ScheduleNext(k, exec->sent);
    return;
  }
  node.current = exec;
  ReadMore(k, exec);
  exec->process->async_wait([this, k, exec](boost::system::error_code ec, int code) {
    if (exec->abandoned) return;
    exec->exited = true;
    exec->exit_code = ec ? -1 : code;
    Finish(k, exec);
  });
  exec->deadline.expires_after(timeout_);
  exec->deadline.async_wait([this, k, exec](boost::system::error_code ec) {
    if (ec || exec->abandoned || nodes_[k]->current != exec) return;
    exec->abandoned = true;
    KillExec(exec);
    nodes_[k]->current.reset();
    ++nodes_[k]->counts.failed;
    ++nodes_[k]->counts.timed_out;
    on_failed_(k, "no answer within " + std::to_string(timeout_.count()) + " ms", true,
               exec->sent);
    ScheduleNext(k, exec->sent);
  });
}

void Prober::ReadMore(std::size_t k, const std::shared_ptr<Exec>& exec) {
  exec->out.async_read_some(
      asio::buffer(exec->chunk), [this, k, exec](boost::system::error_code ec, std::size_t n) {
        if (exec->output.size() + n > kMaxOutput) {
          exec->overflow = true;
        } else {
          exec->output.append(exec->chunk.data(), n);
        }
        if (ec) {
          exec->drained = true;
          Finish(k, exec);
          return;
        }
        ReadMore(k, exec);
      });
}

void Prober::Finish(std::size_t k, const std::shared_ptr<Exec>& exec) {
  if (!exec->exited || !exec->drained || exec->abandoned) return;
  Node& node = *nodes_[k];
  exec->abandoned = true;  // finished: nothing else may report it
  exec->deadline.cancel();
  if (node.current == exec) node.current.reset();
  std::string why;
  Observation seen;
  if (exec->exit_code != 0) {
    why = "exit status " + std::to_string(exec->exit_code);
  } else if (exec->overflow) {
    why = "printed over " + std::to_string(kMaxOutput) + " bytes";
  } else {
    try {
      seen = reader_.Read(k, exec->output);
    } catch (const std::invalid_argument& e) {
      why = std::string(kNoObservation) + e.what();
    }
  }
  if (why.empty()) {
    ++node.counts.observed;
    on_seen_(k, seen, exec->sent);
  } else {
    ++node.counts.failed;
    on_failed_(k, why, false, exec->sent);
  }
  ScheduleNext(k, exec->sent);
}

void Prober::ScheduleNext(std::size_t k, double sent) {
  if (stopped_) return;
  const double wait_s =
      std::max(0.0, sent + std::chrono::duration<double>(every_).count() - timers_.Now());
  Node& node = *nodes_[k];
  node.next.expires_after(std::chrono::duration_cast<asio::steady_timer::duration>(
      std::chrono::duration<double>(wait_s)));
  node.next.async_wait([this, k](boost::system::error_code ec) {
    if (!ec) Send(k);
  });
}

}  // namespace schism::harness
