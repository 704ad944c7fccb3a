defmodule Golden.MixEnvSupervision.MaxSecondsAlone do
  def start_link(children) do
    Supervisor.start_link(children,
      strategy: :one_for_all,
      # a wider window in dev
      max_seconds:
        if Mix.env() != :prod do
          60
        else
          # five seconds
          5
        end
    )
  end
end
