defmodule Golden.MixEnvSupervision.IfBlockOptions do
  def start_link(children) do
    opts =
      [
        strategy: :one_for_one,
        # production limits
        max_restarts: 3,
        name: Golden.MixEnvSupervision.IfBlockOptions.Supervisor
      ]

    Supervisor.start_link(children, opts)
  end
end
