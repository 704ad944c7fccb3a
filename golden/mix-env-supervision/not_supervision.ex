defmodule Golden.MixEnvSupervision.NotSupervision do
  require Logger

  # Mix.env() outside supervisor arguments belongs to the mix-env-runtime rule.
  def start_link(children) do
    if Mix.env() == :dev, do: Logger.debug("starting")
    level = if Mix.env() == :test, do: :warning, else: :info
    Logger.configure(level: level)
    Supervisor.start_link(children, strategy: :one_for_one)
  end

  # A child's own arguments are the child's configuration, not the tree's shape.
  def start_child_args do
    children = [
      {Golden.MixEnvSupervision.NotSupervision.Poller, interval: if(Mix.env() == :test, do: 10, else: 1_000)}
    ]

    Supervisor.start_link(children, strategy: :one_for_one)
  end

  # Conditions on something else are not environment checks.
  def start_flag(children, flag) do
    Supervisor.start_link(children, strategy: :one_for_one, max_restarts: if(flag == :test, do: 100, else: 3))
  end

  def start_system(children) do
    Supervisor.start_link(children, strategy: :one_for_one, max_restarts: if(System.get_env("CI"), do: 100, else: 3))
  end

  def dynamic do
    DynamicSupervisor.start_link(strategy: :one_for_one, max_restarts: if(Mix.env() == :test, do: 100, else: 3))
  end
end
