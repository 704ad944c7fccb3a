defmodule Golden.MixEnvSupervision.MultilineString do
  def start_link(children) do
    opts =
      if Mix.env() == :test do
        [strategy: :one_for_one]
      else
        [
          strategy: :one_for_one,
          name: :"golden
multiline"
        ]
      end

    Supervisor.start_link(children, opts)
  end
end
