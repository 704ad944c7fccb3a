defmodule Golden.MixEnvSupervision.UnlessBlock do
  def start_link(children) do
    Supervisor.start_link(
      children,
      [strategy: :one_for_one]
    )
  end
end
