defmodule Golden.RawSpawn.Plain do
  # Without the `supervisor` option the rule reports, and has nothing to rewrite to.
  def notify(user) do
    spawn(fn -> deliver(user) end)
    :ok
  end

  defp deliver(_user), do: :ok
end
