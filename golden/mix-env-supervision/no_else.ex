defmodule Golden.MixEnvSupervision.NoElse do
  def start_link(children) do
    opts = if Mix.env() == :test, do: [strategy: :one_for_one, max_restarts: 100]
    Supervisor.start_link(children, opts)
  end
end
