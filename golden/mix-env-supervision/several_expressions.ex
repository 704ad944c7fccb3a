defmodule Golden.MixEnvSupervision.SeveralExpressions do
  require Logger

  def start_link(children) do
    opts =
      if Mix.env() == :test do
        [strategy: :one_for_one, max_restarts: 100]
      else
        Logger.info("production supervisor")
        [strategy: :one_for_one]
      end

    Supervisor.start_link(children, opts)
  end
end
