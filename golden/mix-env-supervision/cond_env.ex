defmodule Golden.MixEnvSupervision.CondEnv do
  def start_link(children) do
    opts =
      cond do
        Mix.env() == :test -> [strategy: :one_for_one, max_restarts: 100]
        Mix.env() == :dev -> [strategy: :one_for_one, max_restarts: 10]
        true -> [strategy: :one_for_one]
      end

    Supervisor.start_link(children, opts)
  end
end
