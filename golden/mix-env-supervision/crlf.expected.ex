defmodule Golden.MixEnvSupervision.Crlf do
  def start_link(children) do
    opts =
      [
        strategy: :one_for_one,
        max_restarts: 3
      ]

    Supervisor.start_link(children, opts)
  end
end
