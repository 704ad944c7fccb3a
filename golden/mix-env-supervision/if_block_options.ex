defmodule Golden.MixEnvSupervision.IfBlockOptions do
  def start_link(children) do
    opts =
      if Mix.env() == :test do
        # let tests crash as often as they like
        [strategy: :one_for_one, max_restarts: 1_000]
      else
        [
          strategy: :one_for_one,
          # production limits
          max_restarts: 3,
          name: Golden.MixEnvSupervision.IfBlockOptions.Supervisor
        ]
      end

    Supervisor.start_link(children, opts)
  end
end
