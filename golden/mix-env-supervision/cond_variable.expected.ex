defmodule Golden.MixEnvSupervision.CondVariable do
  def start_link(children) do
    Supervisor.start_link(children,
      strategy: :one_for_one,
      max_restarts:
        3
    )
  end

  def start_link_kept(children) do
    env = Mix.env()
    restarts = 3
    IO.inspect(env)
    Supervisor.start_link(children, strategy: :one_for_one, max_restarts: restarts)
  end
end
