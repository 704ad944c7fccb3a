defmodule LegacyApp.BuildInfo do
  @moduledoc "Reports how the app is configured."

  # Fine: application config works in a release.
  def environment, do: Application.get_env(:legacy_app, :environment, :prod)

  # mix-env-runtime: Mix is not part of a release; this raises there.
  def debug_mode?, do: Mix.env() == :dev
end
