defmodule Golden.RawSpawn.Branches do
  def maybe_notify(user, opts) do
    if opts[:async] do
      spawn(fn -> deliver(user) end)
      :queued
    else
      spawn(fn -> deliver(user) end)
      :queued_too
    end
  end

  def by_kind(kind, user) do
    case kind do
      :email ->
        spawn(fn -> deliver(user) end)
        :ok

      :sms ->
        # the value of the clause is the value of spawn: not rewritten
        spawn(fn -> deliver(user) end)
    end
  end

  def one_liner(user), do: (spawn(fn -> deliver(user) end); :ok)

  defp deliver(_user), do: :ok
end
