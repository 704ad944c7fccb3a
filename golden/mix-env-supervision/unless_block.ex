defmodule Golden.MixEnvSupervision.UnlessBlock do
  def start_link(children) do
    Supervisor.start_link(
      children,
      unless Mix.env() == :prod do
        [strategy: :one_for_one, max_restarts: 50]
      else
        [strategy: :one_for_one]
      end
    )
  end
end
