defmodule Golden.MixEnvSupervision.Crlf do
  def start_link(children) do
    opts =
      if Mix.env() == :test do
        [strategy: :one_for_one, max_restarts: 100]
      else
        [
          strategy: :one_for_one,
          max_restarts: 3
        ]
      end

    Supervisor.start_link(children, opts)
  end
end
