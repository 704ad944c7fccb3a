defmodule Golden.MixEnvSupervision.CondVariable do
  def start_link(children) do
    env = Mix.env()
    Supervisor.start_link(children,
      strategy: :one_for_one,
      max_restarts:
        cond do
          env == :test -> 100
          env === :dev -> 10
          true -> 3
        end
    )
  end

  def start_link_kept(children) do
    env = Mix.env()
    restarts = if env == :test, do: 100, else: 3
    IO.inspect(env)
    Supervisor.start_link(children, strategy: :one_for_one, max_restarts: restarts)
  end
end
