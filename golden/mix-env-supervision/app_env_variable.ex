defmodule Golden.MixEnvSupervision.AppEnvVariable do
  def start_link(children) do
    env = Application.get_env(:golden, :env)

    opts = if env == :test, do: [strategy: :one_for_one, max_restarts: 100], else: [strategy: :one_for_one]
    Supervisor.start_link(children, opts)
  end
end
